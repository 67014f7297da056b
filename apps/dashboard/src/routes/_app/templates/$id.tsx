import type { SessionTemplate } from '@switchboard/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createFileRoute, Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { toast } from 'sonner';
import { z } from 'zod';
import { DeletedEntity } from '../../../components/DeletedEntity';
import { DeploymentsPanel } from '../../../components/DeploymentsPanel';
import { HistoryPanel } from '../../../components/HistoryPanel';
import { LiveNotice } from '../../../components/LiveNotice';
import { SessionConfigPanel } from '../../../components/SessionConfigPanel';
import { StaleNotice } from '../../../components/StaleNotice';
import { TemplateForm, type TemplateFormValues, templateValues } from '../../../components/TemplateForm';
import { Button, ConfirmButton, Notice, PageHeader, Spinner } from '../../../components/ui';
import { useAgentsById } from '../../../lib/agents';
import { serverError, trpc } from '../../../lib/api';
import { changedFields } from '../../../lib/forms';
import { invalidateFor } from '../../../lib/invalidation';
import { session } from '../../../lib/session';

export const Route = createFileRoute('/_app/templates/$id')({
  // `version`: a revision to point out in the history (the audit log links here).
  validateSearch: z.object({ version: z.number().int().optional() }),
  loader: ({ context, params }) =>
    context.queryClient.ensureQueryData(context.trpc.sessionTemplates.get.queryOptions({ id: params.id })),
  // A deleted one is not found, but its history is: it can be restored from there.
  errorComponent: ({ error }) =>
    serverError(error).code === 'NOT_FOUND' ? (
      <DeletedEntity kind="sessionTemplate" id={Route.useParams().id} />
    ) : (
      <Notice>{serverError(error).message}</Notice>
    ),
  // One instance per id: the form's state (the version it was opened at) never carries over to another.
  component: () => <EditTemplate key={Route.useParams().id} />,
});

function EditTemplate() {
  const { id } = Route.useParams();
  const { version: highlight } = Route.useSearch();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.sessionTemplates.get.queryOptions({ id }));
  // The version the form was opened at; a save sends it, so a change made meanwhile is not overwritten.
  const [base, setBase] = useState<SessionTemplate | null>(null);
  const [stale, setStale] = useState<{ current: SessionTemplate; fields: string[] } | null>(null);
  const [formKey, setFormKey] = useState(0);
  // Whether the form holds edits not saved yet: a deploy from this page ships what is saved.
  const [unsaved, setUnsaved] = useState(false);
  const update = useMutation(trpc.sessionTemplates.update.mutationOptions());
  const clone = useMutation(trpc.sessionTemplates.clone.mutationOptions());
  const remove = useMutation(trpc.sessionTemplates.delete.mutationOptions());
  const admin = session.isAdmin();

  // The form stays on the version it was opened at until a save or a reload, even when a newer
  // one reaches the cache: a save then sends that version, and a change made meanwhile is refused.
  if (!base && query.data) setBase(query.data);
  const template = base;
  // The template's own agents, by id, whatever the organization's size (the form's rules read them).
  const { byId: agents, isLoading } = useAgentsById(template?.agentIds ?? []);
  if (!template || isLoading) return <Spinner />;

  const reload = async () => {
    const fresh = await queryClient.fetchQuery({
      ...trpc.sessionTemplates.get.queryOptions({ id }),
      staleTime: 0,
    });
    setBase(fresh);
    setStale(null);
    setFormKey((key) => key + 1);
  };

  const save = async (values: TemplateFormValues) => {
    try {
      const saved = await update.mutateAsync({ id, version: template.version, ...values });
      queryClient.setQueryData(trpc.sessionTemplates.get.queryKey({ id }), saved);
      setBase(saved);
      setStale(null);
      await invalidateFor({ type: 'sessionTemplate' });
      toast.success(`Saved “${saved.name}” (version ${saved.version})`);
      return null;
    } catch (error) {
      const problem = serverError(error);
      if (problem.code === 'CONFLICT' && typeof problem.details.currentVersion === 'number') {
        const current = await queryClient.fetchQuery({
          ...trpc.sessionTemplates.get.queryOptions({ id }),
          staleTime: 0,
        });
        setStale({ current, fields: changedFields(templateValues(template), templateValues(current)) });
        return null;
      }
      return problem;
    }
  };

  return (
    <>
      <PageHeader
        title={template.name}
        description={`Version ${template.version} · updated ${new Date(template.updatedAt).toLocaleString()}`}
        actions={
          admin && (
            <>
              <Button
                variant="secondary"
                onClick={async () => {
                  try {
                    const copy = await clone.mutateAsync({ id });
                    await invalidateFor({ type: 'sessionTemplate' });
                    toast.success(`Cloned as “${copy.name}”`);
                    await navigate({ to: '/templates/$id', params: { id: copy.id } });
                  } catch (error) {
                    toast.error(serverError(error).message);
                  }
                }}
              >
                Clone
              </Button>
              <ConfirmButton
                label="Delete"
                title={`Delete “${template.name}”?`}
                description="New sessions can no longer start from it. Sessions already running are not affected."
                confirmLabel="Delete template"
                onConfirm={async () => {
                  try {
                    await remove.mutateAsync({ id });
                    await invalidateFor({ type: 'sessionTemplate' });
                    toast.success(`Deleted “${template.name}”`);
                    await navigate({ to: '/templates' });
                  } catch (error) {
                    toast.error(serverError(error).message);
                  }
                }}
              />
            </>
          )
        }
      />
      <p className="mb-4 text-sm">
        <Link to="/templates" className="text-indigo-700 underline dark:text-indigo-300">
          ← All session templates
        </Link>
      </p>
      <LiveNotice kind="sessionTemplate" id={id} onReload={reload} />
      <TemplateForm
        key={`${template.id}-${formKey}`}
        onDirtyChange={setUnsaved}
        template={template}
        agents={agents}
        readOnly={!admin}
        onSubmit={save}
        besideSave={
          stale && (
            <StaleNotice
              kind="sessionTemplate"
              base={template}
              current={stale.current}
              onKeepMine={() => {
                // The edits stay in the form; the next save sends the new version.
                setBase(stale.current);
                setStale(null);
              }}
              onDiscardMine={() => void reload()}
            />
          )
        }
        banner={!admin && <Notice tone="info">You are a member: this template is read-only.</Notice>}
      />
      {query.data && <DeploymentsPanel template={query.data} canDeploy={admin} unsavedEdits={unsaved} />}
      <SessionConfigPanel id={id} />
      <HistoryPanel
        kind="sessionTemplate"
        id={id}
        current={query.data}
        canRestore={admin}
        highlight={highlight}
        onRestored={async (restored) => {
          queryClient.setQueryData(trpc.sessionTemplates.get.queryKey({ id }), restored as SessionTemplate);
          await invalidateFor({ type: 'sessionTemplate' });
          setBase(restored as SessionTemplate);
          setStale(null);
          setFormKey((key) => key + 1);
        }}
      />
    </>
  );
}
