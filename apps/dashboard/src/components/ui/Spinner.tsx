export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <div role="status" className="p-8 text-sm text-zinc-600 dark:text-zinc-400">
      {label}…
    </div>
  );
}
