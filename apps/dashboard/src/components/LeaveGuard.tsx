import { useBlocker, useRouter } from '@tanstack/react-router';
import { AlertDialog } from 'radix-ui';
import { useEffect, useRef } from 'react';
import { Button } from './ui';

/**
 * Keeps unsaved edits from being lost in silence: while `dirty`, leaving the page in the app asks
 * first ("Stay" keeps every edit), and closing or reloading the tab gets the browser's own question.
 * `saving` lets a save navigate on (a create goes to the new page).
 */
export function LeaveGuard(props: { dirty: boolean; saving: boolean }) {
  // Outside a router (a form rendered on its own, as its component tests do) there is no leaving.
  return useRouter({ warn: false }) ? <Blocker {...props} /> : null;
}

function Blocker({ dirty, saving }: { dirty: boolean; saving: boolean }) {
  const state = useRef({ dirty, saving });
  useEffect(() => {
    state.current = { dirty, saving };
  }, [dirty, saving]);
  const blocking = () => state.current.dirty && !state.current.saving;
  const blocker = useBlocker({ shouldBlockFn: blocking, enableBeforeUnload: blocking, withResolver: true });
  if (blocker.status !== 'blocked') return null;
  return (
    <AlertDialog.Root open onOpenChange={(open) => !open && blocker.reset()}>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="fixed inset-0 bg-black/40" />
        <AlertDialog.Content className="fixed top-1/2 left-1/2 w-[min(28rem,92vw)] -translate-x-1/2 -translate-y-1/2 rounded-lg border border-zinc-200 bg-white p-6 shadow-xl dark:border-zinc-800 dark:bg-zinc-900">
          <AlertDialog.Title className="text-lg font-semibold">Leave without saving?</AlertDialog.Title>
          <AlertDialog.Description className="mt-2 text-sm text-zinc-700 dark:text-zinc-300">
            This form has edits that are not saved. Leave, and they are lost.
          </AlertDialog.Description>
          <div className="mt-6 flex justify-end gap-2">
            <AlertDialog.Cancel asChild>
              <Button variant="secondary" onClick={() => blocker.reset()}>
                Stay
              </Button>
            </AlertDialog.Cancel>
            <AlertDialog.Action asChild>
              <Button variant="danger" onClick={() => blocker.proceed()}>
                Leave
              </Button>
            </AlertDialog.Action>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
