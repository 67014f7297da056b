import { type ReactNode, useEffect } from 'react';
import { Card } from './ui';

export function AuthShell({ title, children }: { title: string; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Switchboard`;
  }, [title]);
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center gap-2">
          <img src="/app/favicon.svg" alt="" className="h-8 w-8" />
          <span className="text-lg font-semibold">Switchboard</span>
        </div>
        <Card>
          <h1 className="mb-5 text-xl font-semibold">{title}</h1>
          {children}
        </Card>
      </div>
    </main>
  );
}
