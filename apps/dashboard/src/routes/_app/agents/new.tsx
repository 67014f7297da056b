import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createFileRoute, useNavigate } from '@tanstack/react-router';
import { toast } from 'sonner';
import { AgentForm } from '../../../components/AgentForm';
import { AdminsOnly, PageHeader } from '../../../components/ui';
import { serverError, trpc } from '../../../lib/api';
import { invalidateFor } from '../../../lib/invalidation';
import { session } from '../../../lib/session';

export const Route = createFileRoute('/_app/agents/new')({ component: NewAgent });

function NewAgent() {
  const navigate = useNavigate();
  const _queryClient = useQueryClient();
  const create = useMutation(trpc.agents.create.mutationOptions());
  if (!session.isAdmin()) return <AdminsOnly title="New agent" what="create agents" />;
  return (
    <>
      <PageHeader title="New agent" />
      <AgentForm
        known={new Map()}
        readOnly={false}
        onSubmit={async (values) => {
          try {
            const created = await create.mutateAsync(values);
            await invalidateFor({ type: 'agent' });
            toast.success(`Created “${created.name}”`);
            await navigate({ to: '/agents/$id', params: { id: created.id } });
            return null;
          } catch (error) {
            return serverError(error);
          }
        }}
      />
    </>
  );
}
