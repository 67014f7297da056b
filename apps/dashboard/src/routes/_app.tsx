import { createFileRoute, Link, Outlet, redirect, useNavigate } from '@tanstack/react-router';
import {
  Bot,
  FileJson,
  KeyRound,
  Layers,
  LayoutTemplate,
  LogOut,
  Menu,
  Moon,
  ScrollText,
  Sun,
  Users,
  Webhook,
} from 'lucide-react';
import { useState, useSyncExternalStore } from 'react';
import { Button, cx } from '../components/ui';
import { queryClient } from '../lib/api';
import { useLiveEvents } from '../lib/events';
import { session } from '../lib/session';
import { chooseTheme, currentTheme } from '../lib/theme';

/** Every page behind sign-in: the session is checked before anything loads. */
export const Route = createFileRoute('/_app')({
  beforeLoad: ({ location }) => {
    if (!session.get()) throw redirect({ to: '/sign-in', search: { redirect: location.href } });
  },
  component: AppLayout,
});

export function useSession() {
  return useSyncExternalStore(session.subscribe, session.get);
}

const NAV = [
  { to: '/templates', label: 'Session templates', icon: LayoutTemplate, adminOnly: false },
  { to: '/agents', label: 'Agents', icon: Bot, adminOnly: false },
  { to: '/environments', label: 'Environments', icon: Layers, adminOnly: false },
  { to: '/members', label: 'Members', icon: Users, adminOnly: true },
  { to: '/config', label: 'Import / export', icon: FileJson, adminOnly: false },
  { to: '/api-keys', label: 'API keys', icon: KeyRound, adminOnly: true },
  { to: '/webhooks', label: 'Webhooks', icon: Webhook, adminOnly: true },
  { to: '/audit', label: 'Audit log', icon: ScrollText, adminOnly: true },
] as const;

function AppLayout() {
  // Change events keep every list, history and log current, and tell open pages of others' saves.
  useLiveEvents();
  const current = useSession();
  const navigate = useNavigate();
  const [theme, setTheme] = useState(currentTheme());
  // On a phone the navigation is a menu, closed until asked for and closed again on every choice.
  const [menuOpen, setMenuOpen] = useState(false);
  if (!current) return null;
  const admin = current.user.role === 'admin';

  return (
    <div className="flex min-h-screen flex-col md:flex-row">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-10 focus:rounded focus:bg-white focus:p-2 dark:focus:bg-zinc-900"
      >
        Skip to content
      </a>
      <aside className="shrink-0 border-b border-zinc-200 bg-white md:w-60 md:border-r md:border-b-0 dark:border-zinc-800 dark:bg-zinc-900">
        <div className="flex items-center gap-2 px-4 py-3 md:px-5 md:py-4">
          <img src="/app/favicon.svg" alt="" className="h-7 w-7" />
          <div className="min-w-0">
            <div className="text-sm font-semibold">Switchboard</div>
            <div className="truncate text-xs text-zinc-600 dark:text-zinc-400">
              {current.organization.name}
            </div>
          </div>
          <Button
            variant="secondary"
            className="ml-auto md:hidden"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            <Menu aria-hidden className="h-4 w-4" /> Menu
          </Button>
        </div>
        <nav
          id="main-nav"
          aria-label="Main"
          className={cx('flex-col gap-1 px-3 pb-3 md:flex', menuOpen ? 'flex' : 'hidden')}
        >
          {NAV.filter((item) => admin || !item.adminOnly).map(({ to, label, icon: Icon }) => (
            <Link
              key={to}
              to={to}
              onClick={() => setMenuOpen(false)}
              className="flex items-center gap-2 rounded-md px-3 py-2 text-sm text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
              activeProps={{
                className: 'bg-indigo-50 font-medium text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200',
              }}
            >
              <Icon aria-hidden className="h-4 w-4" />
              {label}
            </Link>
          ))}
        </nav>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex flex-wrap items-center justify-end gap-2 border-b border-zinc-200 bg-white px-4 py-2 md:px-6 md:py-3 dark:border-zinc-800 dark:bg-zinc-900">
          <span className="mr-auto text-sm text-zinc-600 dark:text-zinc-400">
            {admin ? 'Admin' : 'Member (read-only)'}
          </span>
          <Button
            variant="ghost"
            aria-label={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
            onClick={() => {
              const next = theme === 'dark' ? 'light' : 'dark';
              chooseTheme(next);
              setTheme(next);
            }}
          >
            {theme === 'dark' ? (
              <Sun aria-hidden className="h-4 w-4" />
            ) : (
              <Moon aria-hidden className="h-4 w-4" />
            )}
          </Button>
          <span className="max-w-[12rem] truncate text-sm">
            {current.user.fullName ?? current.user.email}
          </span>
          <Button
            variant="ghost"
            onClick={async () => {
              session.set(null);
              queryClient.clear();
              await navigate({ to: '/sign-in' });
            }}
          >
            <LogOut aria-hidden className="h-4 w-4" /> Sign out
          </Button>
        </header>
        <main id="main" className="mx-auto w-full max-w-6xl min-w-0 flex-1 px-4 py-6 md:px-6 md:py-8">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
