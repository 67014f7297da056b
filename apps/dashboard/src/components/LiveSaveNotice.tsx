import { PRODUCTION } from '@switchboard/contract';
import { useQuery } from '@tanstack/react-query';
import { Radio } from 'lucide-react';
import { trpc } from '../lib/api';

/**
 * Beside Save: while production follows latest, a save is what production's sessions get next,
 * so the form says so before the click, not after.
 */
export function LiveSaveNotice() {
  const environments = useQuery(trpc.environments.list.queryOptions());
  const production = environments.data?.items.find((environment) => environment.name === PRODUCTION);
  if (!production?.followsLatest) return null;
  return (
    <p className="flex items-center gap-1.5 text-sm font-medium text-amber-800 dark:text-amber-300">
      <Radio aria-hidden className="h-4 w-4" />
      Saving goes live in production now: it follows latest.
    </p>
  );
}
