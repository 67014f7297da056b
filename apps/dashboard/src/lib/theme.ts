/** Light or dark: the system's preference unless the person chose, remembered in this browser. */
export type Theme = 'light' | 'dark';
const KEY = 'switchboard.theme';
const media = () => window.matchMedia('(prefers-color-scheme: dark)');

export function currentTheme(): Theme {
  const chosen = localStorage.getItem(KEY);
  if (chosen === 'light' || chosen === 'dark') return chosen;
  return media().matches ? 'dark' : 'light';
}

export function applyTheme(theme: Theme = currentTheme()) {
  document.documentElement.classList.toggle('dark', theme === 'dark');
}

export function chooseTheme(theme: Theme) {
  localStorage.setItem(KEY, theme);
  applyTheme(theme);
}

/** Follows the system while the person has not chosen. */
export function followSystemTheme() {
  media().addEventListener('change', () => {
    if (!localStorage.getItem(KEY)) applyTheme();
  });
}
