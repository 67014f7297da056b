import type { ImportPlan } from '@switchboard/client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createFileRoute } from '@tanstack/react-router';
import { Download } from 'lucide-react';
import { useId, useState } from 'react';
import { toast } from 'sonner';
import { Badge, Button, Card, ConfirmButton, Notice, PageHeader } from '../../components/ui';
import { type ServerError, serverError, trpc } from '../../lib/api';
import { type BundleIssue, checkEntries, inFile } from '../../lib/bundles';
import { FIELD_LABELS } from '../../lib/history';
import { invalidateFor } from '../../lib/invalidation';
import { session } from '../../lib/session';

export const Route = createFileRoute('/_app/config')({ component: ImportExport });

const ACTION_TONES = { create: 'accent', update: 'accent', delete: 'warn', unchanged: 'neutral' } as const;

function ImportExport() {
  return <Bundles admin={session.isAdmin()} />;
}

/** Where an issue of the server points, as a person reads it: the entry's kind and name. */
function whereOf(
  path: string[],
  bundle: { agents?: { name?: string }[]; sessionTemplates?: { name?: string }[] },
) {
  const [root, kind, at, ...rest] = path;
  if (root === 'organization') return `Kept template “${at}”`;
  if (root !== 'bundle' || (kind !== 'agents' && kind !== 'sessionTemplates')) return path.join('.');
  const entry = bundle[kind]?.[Number(at)];
  const label = kind === 'agents' ? 'Agent' : 'Template';
  const field = rest[0] ? ` · ${FIELD_LABELS[rest[0]] ?? rest[0]}` : '';
  return `${label} “${entry?.name ?? `#${Number(at) + 1}`}”${field}`;
}

function Bundles({ admin }: { admin: boolean }) {
  const queryClient = useQueryClient();
  const importBundle = useMutation(trpc.config.import.mutationOptions());
  const fileId = useId();
  const [bundle, setBundle] = useState<{ name: string; content: Record<string, unknown> } | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [prune, setPrune] = useState(false);
  const [plan, setPlan] = useState<ImportPlan | null>(null);
  const [refusal, setRefusal] = useState<ServerError | null>(null);
  const [busy, setBusy] = useState(false);

  const download = async () => {
    try {
      const exported = await queryClient.fetchQuery({ ...trpc.config.export.queryOptions(), staleTime: 0 });
      const blob = new Blob([`${JSON.stringify(exported, null, 2)}\n`], { type: 'application/json' });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = 'switchboard-bundle.json';
      link.click();
      URL.revokeObjectURL(link.href);
      toast.success(
        `Exported ${exported.agents.length} agents and ${exported.sessionTemplates.length} templates`,
      );
    } catch (error) {
      toast.error(serverError(error).message);
    }
  };

  const submit = async (content: Record<string, unknown>, dryRun: boolean, withPrune = prune) => {
    setBusy(true);
    setRefusal(null);
    // Every problem in one look: each entry's own, found here, and the server's about the rest.
    const checked = checkEntries(content);
    if ('notBundle' in checked) {
      setBusy(false);
      setPlan(null);
      setFileError(`This file is not a Switchboard bundle: ${checked.notBundle}.`);
      return;
    }
    try {
      const answer = await importBundle.mutateAsync({
        bundle: checked.wellFormed as never,
        dryRun: dryRun || checked.issues.length > 0,
        prune: withPrune,
      });
      if (checked.issues.length) {
        setPlan(null);
        setRefusal({
          code: 'BAD_REQUEST',
          message: 'The bundle cannot be imported',
          details: { issues: checked.issues },
        });
        return;
      }
      setPlan(answer);
      if (!dryRun) {
        await invalidateFor({ type: 'config' });
        toast.success(answer.applied ? 'Imported: every change is applied' : 'Nothing to change');
      }
    } catch (error) {
      setPlan(null);
      const problem = serverError(error);
      const theirs = (problem.details.issues ?? []) as BundleIssue[];
      const issues = [...checked.issues, ...inFile(theirs, checked.positions, checked.leftOut)];
      setRefusal(issues.length ? { ...problem, details: { ...problem.details, issues } } : problem);
    } finally {
      setBusy(false);
    }
  };

  const choose = async (file: File | undefined) => {
    setPlan(null);
    setRefusal(null);
    setFileError(null);
    setBundle(null);
    if (!file) return;
    try {
      const content = JSON.parse(await file.text()) as Record<string, unknown>;
      setBundle({ name: file.name, content });
      await submit(content, true);
    } catch {
      setFileError(`${file.name} is not a JSON file: export a bundle to see the shape`);
    }
  };

  const changes = plan?.changes ?? [];
  const pending = changes.filter((change) => change.action !== 'unchanged');
  const issues = (refusal?.details.issues ?? []) as { path: string[]; message: string }[];

  return (
    <>
      <PageHeader
        title={admin ? 'Import / export' : 'Export'}
        description="Your agents and templates as one file, names instead of ids: keep it in git, review the plan, apply it all or nothing."
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <h2 className="text-base font-semibold">Export</h2>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            Every active agent and template, sorted by name. The same configuration always exports to the same
            bytes.
          </p>
          <Button className="mt-4" onClick={() => void download()}>
            <Download aria-hidden className="h-4 w-4" /> Download the bundle
          </Button>
        </Card>
        {!admin && (
          <Card>
            <h2 className="text-base font-semibold">Import</h2>
            <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
              Admins import bundles. You can export and review one; ask an admin to apply it.
            </p>
          </Card>
        )}
        {admin && (
          <Card>
            <h2 className="text-base font-semibold">Import</h2>
            <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
              Choose a bundle to see what it would change. Nothing changes until you apply the plan.
            </p>
            <div className="mt-4 space-y-3">
              <div className="space-y-1.5">
                <label htmlFor={fileId} className="block text-sm font-medium">
                  Bundle file
                </label>
                <input
                  id={fileId}
                  type="file"
                  accept="application/json,.json"
                  aria-invalid={fileError ? true : undefined}
                  aria-describedby={fileError ? `${fileId}-error` : undefined}
                  className="block text-sm file:mr-3 file:rounded-md file:border file:border-zinc-300 file:bg-white file:px-3 file:py-1.5 file:text-sm dark:file:border-zinc-700 dark:file:bg-zinc-900 dark:file:text-zinc-100"
                  onChange={(event) => void choose(event.target.files?.[0])}
                />
                {fileError && (
                  <p id={`${fileId}-error`} role="alert" className="text-sm text-red-700 dark:text-red-400">
                    {fileError}
                  </p>
                )}
              </div>
              <label className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={prune}
                  onChange={(event) => {
                    setPrune(event.target.checked);
                    if (bundle) void submit(bundle.content, true, event.target.checked);
                  }}
                />
                Also delete the agents and templates the bundle does not name (prune)
              </label>
            </div>
          </Card>
        )}
      </div>

      {refusal && bundle && (
        <div className="mt-6">
          <Notice>
            <p className="font-medium">
              {issues.length ? `${bundle.name} cannot be imported: nothing was changed.` : refusal.message}
            </p>
            {issues.length > 0 && (
              <ul className="mt-2 list-disc space-y-1 pl-5">
                {issues.map((issue) => (
                  <li key={`${issue.path.join('.')}:${issue.message}`}>
                    <span className="font-medium">{whereOf(issue.path, bundle.content)}</span>:{' '}
                    {issue.message}
                  </li>
                ))}
              </ul>
            )}
          </Notice>
        </div>
      )}

      {plan && bundle && (
        <Card className="mt-6" aria-labelledby="plan-heading">
          <div className="flex flex-wrap items-center gap-3">
            <h2 id="plan-heading" className="mr-auto text-base font-semibold">
              {plan.applied ? 'Applied' : plan.dryRun ? 'The plan' : 'Nothing to change'}
            </h2>
            <span className="text-sm text-zinc-600 dark:text-zinc-400">
              {(['create', 'update', 'delete', 'unchanged'] as const)
                .map((action) => `${changes.filter((change) => change.action === action).length} ${action}`)
                .join(' · ')}
            </span>
            {plan.dryRun && pending.length > 0 && (
              <ConfirmButton
                variant="primary"
                label="Apply this plan"
                title="Apply the plan?"
                description={`${pending.length} change${pending.length === 1 ? '' : 's'} in one transaction: all of them or none. Each is recorded in the history and the audit log.`}
                confirmLabel="Apply"
                onConfirm={() => submit(bundle.content, false)}
              />
            )}
          </div>
          {pending.length === 0 ? (
            <p className="mt-3 text-sm">The organization already matches {bundle.name}.</p>
          ) : (
            <div className="relative mt-4 overflow-x-auto">
              <table className="w-full text-left text-sm">
                <thead className="border-b border-zinc-200 text-xs text-zinc-600 uppercase dark:border-zinc-800 dark:text-zinc-400">
                  <tr>
                    <th scope="col" className="py-2 pr-4 font-medium">
                      Change
                    </th>
                    <th scope="col" className="py-2 pr-4 font-medium">
                      Kind
                    </th>
                    <th scope="col" className="py-2 pr-4 font-medium">
                      Name
                    </th>
                    <th scope="col" className="py-2 font-medium">
                      Fields
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
                  {pending.map((change) => (
                    <tr key={`${change.kind}:${change.name}`}>
                      <td className="py-2 pr-4">
                        <Badge tone={ACTION_TONES[change.action]}>{change.action}</Badge>
                      </td>
                      <td className="py-2 pr-4">{change.kind === 'agent' ? 'Agent' : 'Template'}</td>
                      <td className="py-2 pr-4 font-medium">{change.name}</td>
                      <td className="py-2">
                        {change.fields.map((field) => FIELD_LABELS[field] ?? field).join(', ')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {busy && <p className="mt-2 text-sm">Working…</p>}
        </Card>
      )}
    </>
  );
}
