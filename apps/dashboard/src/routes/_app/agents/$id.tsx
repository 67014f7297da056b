import type { Agent } from '@switchboard/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createFileRoute, Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { toast } from 'sonner';
import { z } from 'zod';
import { AgentForm, agentValues } from '../../../components/AgentForm';
import { DeletedEntity } from '../../../components/DeletedEntity';
import { HistoryPanel } from '../../../components/HistoryPanel';
import { LiveNotice } from '../../../components/LiveNotice';
import { StaleNotice } from '../../../components/StaleNotice';
import { ConfirmButton, Notice, PageHeader, Spinner } from '../../../components/ui';
import { useAgentsById, useTemplatesById } from '../../../lib/agents';
import { type ServerError, serverError, trpc } from '../../../lib/api';
import { changedFields } from '../../../lib/forms';
import { invalidateFor } from '../../../lib/invalidation';
import { session } from '../../../lib/session';

export const Route = createFileRoute('/_app/agents/$id')({
  // `version`: a revision to point out in the history (the audit log links here).
  validateSearch: z.object({ version: z.number().int().optional() }),
  loader: ({ context, params }) =>
    context.queryClient.ensureQueryData(context.trpc.agents.get.queryOptions({ id: params.id })),
  // A deleted one is not found, but its history is: it can be restored from there.
  errorComponent: ({ error }) =>
    serverError(error).code === 'NOT_FOUND' ? (
      <DeletedEntity kind="agent" id={Route.useParams().id} />
    ) : (
      <Notice>{serverError(error).message}</Notice>
    ),
  // One instance per id: the form's state (the version it was opened at) never carries over to another.
  component: () => <EditAgent key={Route.useParams().id} />,
});

/** A refused delete names what still uses the agent, each linked. */
function InUse({ problem }: { problem: ServerError }) {
  const templateIds = (problem.details.templateIds as string[] | undefined) ?? [];
  const agentIds = (problem.details.agentIds as string[] | undefined) ?? [];
  const { nameOf: templateName } = useTemplatesById(templateIds);
  const { nameOf } = useAgentsById(agentIds);
  return (
    <Notice>
      <p className="font-medium">This agent cannot be deleted while it is in use.</p>
      {templateIds.length > 0 && (
        <p className="mt-2">
          Session templates that list it:{' '}
          {templateIds.map((id, index) => (
            <span key={id}>
              {index > 0 && ', '}
              <Link to="/templates/$id" params={{ id }} className="underline">
                {templateName(id)}
              </Link>
            </span>
          ))}
        </p>
      )}
      {agentIds.length > 0 && (
        <p className="mt-2">
          Agents that hand off to it:{' '}
          {agentIds.map((id, index) => (
            <span key={id}>
              {index > 0 && ', '}
              <Link to="/agents/$id" params={{ id }} className="underline">
                {nameOf(id)}
              </Link>
            </span>
          ))}
        </p>
      )}
    </Notice>
  );
}

/** What the server named for each template a save would break (`details.templates`). */
interface BrokenTemplate {
  id: string;
  name: string;
  problem: string;
}

/** A refused save says which templates it would break, and what would be wrong in each, linked. */
function WouldBreak({ problem }: { problem: ServerError }) {
  const templates = (problem.details.templates as BrokenTemplate[] | undefined) ?? [];
  return (
    <Notice>
      <p className="font-medium">
        Not saved: this change would break{' '}
        {templates.length === 1 ? 'a session template' : 'session templates'} that list the agent.
      </p>
      <ul className="mt-2 list-disc space-y-1 pl-5">
        {templates.map((template) => (
          <li key={template.id}>
            <Link to="/templates/$id" params={{ id: template.id }} className="underline">
              {template.name}
            </Link>
            : {template.problem}
          </li>
        ))}
      </ul>
      <p className="mt-2">
        Change the other agents of those templates first, or take this agent out of them.
      </p>
    </Notice>
  );
}

function EditAgent() {
  const { id } = Route.useParams();
  const { version: highlight } = Route.useSearch();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.agents.get.queryOptions({ id }));
  const [refusal, setRefusal] = useState<ServerError | null>(null);
  const [saveRefusal, setSaveRefusal] = useState<ServerError | null>(null);
  // The form stays on the version it was opened at until a save or a reload (as on templates).
  const [base, setBase] = useState<Agent | null>(null);
  const [stale, setStale] = useState<{ current: Agent; fields: string[] } | null>(null);
  const [formKey, setFormKey] = useState(0);
  const update = useMutation(trpc.agents.update.mutationOptions());
  const remove = useMutation(trpc.agents.delete.mutationOptions());
  const admin = session.isAdmin();
  if (!base && query.data) setBase(query.data);
  const agent = base;
  // Its handoff targets by id, whatever the organization's size.
  const { byId: targets, isLoading } = useAgentsById(agent?.handoffTargets ?? []);
  if (!agent || isLoading) return <Spinner />;
  const latest = () => queryClient.fetchQuery({ ...trpc.agents.get.queryOptions({ id }), staleTime: 0 });
  const reload = async () => {
    setBase(await latest());
    setStale(null);
    setFormKey((key) => key + 1);
  };

  return (
    <>
      <PageHeader
        title={agent.name}
        description={`Version ${agent.version} · ${agent.model}`}
        actions={
          admin && (
            <ConfirmButton
              label="Delete"
              title={`Delete “${agent.name}”?`}
              description="Templates and agents that use it must let go of it first."
              confirmLabel="Delete agent"
              onConfirm={async () => {
                try {
                  await remove.mutateAsync({ id });
                  await invalidateFor({ type: 'agent' });
                  toast.success(`Deleted “${agent.name}”`);
                  await navigate({ to: '/agents' });
                } catch (error) {
                  const problem = serverError(error);
                  if (problem.code === 'CONFLICT') setRefusal(problem);
                  else toast.error(problem.message);
                }
              }}
            />
          )
        }
      />
      <p className="mb-4 text-sm">
        <Link to="/agents" className="text-indigo-700 underline dark:text-indigo-300">
          ← All agents
        </Link>
      </p>
      <LiveNotice kind="agent" id={id} onReload={reload} />
      <AgentForm
        key={`${agent.id}-${formKey}`}
        agent={agent}
        known={targets}
        readOnly={!admin}
        besideSave={
          stale && (
            <StaleNotice
              kind="agent"
              base={agent}
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
        banner={
          <>
            {!admin && <Notice tone="info">You are a member: this agent is read-only.</Notice>}
            {refusal && <InUse problem={refusal} />}
            {saveRefusal && <WouldBreak problem={saveRefusal} />}
          </>
        }
        onSubmit={async (values) => {
          try {
            setSaveRefusal(null);
            const saved = await update.mutateAsync({ id, version: agent.version, ...values });
            queryClient.setQueryData(trpc.agents.get.queryKey({ id }), saved);
            setBase(saved);
            setStale(null);
            await invalidateFor({ type: 'agent' });
            toast.success(`Saved “${saved.name}” (version ${saved.version})`);
            return null;
          } catch (error) {
            const problem = serverError(error);
            if (problem.code === 'CONFLICT' && typeof problem.details.currentVersion === 'number') {
              const current = await latest();
              setStale({ current, fields: changedFields(agentValues(agent), agentValues(current)) });
              return null;
            }
            if (problem.code === 'CONFLICT') {
              setSaveRefusal(problem);
              return null;
            }
            return problem;
          }
        }}
      />
      <HistoryPanel
        kind="agent"
        id={id}
        current={query.data}
        canRestore={admin}
        highlight={highlight}
        onRestored={async (restored) => {
          queryClient.setQueryData(trpc.agents.get.queryKey({ id }), restored as Agent);
          await invalidateFor({ type: 'agent' });
          setBase(restored as Agent);
          setStale(null);
          setRefusal(null);
          setSaveRefusal(null);
          setFormKey((key) => key + 1);
        }}
      />
    </>
  );
}
