// The dashboard at /app (docs/dashboard.md): TanStack Router and Query on the typed client.
import { QueryClientProvider } from '@tanstack/react-query';
import { createRouter, RouterProvider } from '@tanstack/react-router';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { queryClient, trpc, whenSessionLost } from './lib/api';
import { useFriendlyMessages } from './lib/messages';
import { applyTheme, followSystemTheme } from './lib/theme';
import { routeTree } from './routeTree.gen';
import './styles.css';

applyTheme();
followSystemTheme();
useFriendlyMessages();

export const router = createRouter({
  routeTree,
  basepath: '/app',
  context: { queryClient, trpc },
  defaultPreload: 'intent',
  // With TanStack Query holding the data, the router's own preload cache stays out of the way.
  defaultPreloadStaleTime: 0,
  scrollRestoration: true,
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}

// An expired or revoked session: sign in again, then come back to where the person was.
whenSessionLost(() => {
  const { pathname, searchStr } = router.state.location;
  void router.navigate({ to: '/sign-in', search: { redirect: `${pathname}${searchStr}` } });
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
