import type { QueryClient } from '@tanstack/react-query';
import { createRootRouteWithContext, Outlet } from '@tanstack/react-router';
import { Toaster } from 'sonner';
import type { trpc } from '../lib/api';

export interface RouterContext {
  queryClient: QueryClient;
  trpc: typeof trpc;
}

export const Route = createRootRouteWithContext<RouterContext>()({
  component: () => (
    <>
      <Outlet />
      <Toaster
        position="bottom-right"
        richColors
        closeButton
        // sonner's rich success green on its pale green is below WCAG AA; a darker green keeps the look.
        toastOptions={{ classNames: { success: '!text-emerald-900' } }}
      />
    </>
  ),
  notFoundComponent: () => (
    <main className="p-10">
      <h1 className="text-xl font-semibold">Page not found</h1>
      <a className="mt-4 inline-block text-indigo-700 underline dark:text-indigo-300" href="/app/templates">
        Go to session templates
      </a>
    </main>
  ),
});
