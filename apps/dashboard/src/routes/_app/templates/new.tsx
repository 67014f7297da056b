import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createFileRoute, useNavigate } from '@tanstack/react-router';
import { toast } from 'sonner';
import { TemplateForm } from '../../../components/TemplateForm';
import { AdminsOnly, PageHeader } from '../../../components/ui';
import { serverError, trpc } from '../../../lib/api';
import { invalidateFor } from '../../../lib/invalidation';
import { session } from '../../../lib/session';

export const Route = createFileRoute('/_app/templates/new')({ component: NewTemplate });

function NewTemplate() {
  const navigate = useNavigate();
  const _queryClient = useQueryClient();
  const create = useMutation(trpc.sessionTemplates.create.mutationOptions());
  if (!session.isAdmin()) {
    return <AdminsOnly title="New session template" what="create session templates" />;
  }
  return (
    <>
      <PageHeader title="New session template" />
      {
        <TemplateForm
          agents={new Map()}
          readOnly={false}
          onSubmit={async (values) => {
            try {
              const created = await create.mutateAsync(values);
              await invalidateFor({ type: 'sessionTemplate' });
              toast.success(`Created “${created.name}”`);
              await navigate({ to: '/templates/$id', params: { id: created.id } });
              return null;
            } catch (error) {
              return serverError(error);
            }
          }}
        />
      }
    </>
  );
}
