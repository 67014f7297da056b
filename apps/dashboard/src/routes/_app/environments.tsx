import { zodResolver } from '@hookform/resolvers/zod';
import type { Environment } from '@switchboard/client';
import { CreateEnvironmentInput, ENVIRONMENTS_MAX, PRODUCTION } from '@switchboard/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createFileRoute, Link } from '@tanstack/react-router';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import type { z } from 'zod';
import { DryRun } from '../../components/ReleasePlan';
import {
  Badge,
  Button,
  Card,
  ConfirmButton,
  EmptyState,
  Notice,
  PageHeader,
  QueryState,
  TextField,
} from '../../components/ui';
import { client, serverError, trpc } from '../../lib/api';
import { applyServerError } from '../../lib/forms';
import { invalidateFor } from '../../lib/invalidation';
import { session } from '../../lib/session';

export const Route = createFileRoute('/_app/environments')({ component: Environments });

const FOLLOWS_LATEST =
  'Follows latest: every save of a template or an agent reaches its sessions at once, as before environments.';
const MANUAL =
  'Manual: its sessions get only what was deployed to it, so a change is tried first and rolled back in one step.';

function Environments() {
  const admin = session.isAdmin();
  const environments = useQuery(trpc.environments.list.queryOptions());
  return (
    <>
      <PageHeader
        title="Environments"
        description="Where session runtimes read their config from. Each runtime asks for one (or its API key is bound to one)."
        actions={
          admin && (
            <Link
              to="/promote"
              className="rounded-md border border-zinc-300 px-3 py-2 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
            >
              Promote between environments
            </Link>
          )
        }
      />
      <div className="grid gap-6">
        <Notice tone="info">
          <p>{FOLLOWS_LATEST}</p>
          <p className="mt-1">{MANUAL}</p>
        </Notice>
        {admin && <CreateEnvironment count={environments.data?.items.length ?? 0} />}
        <QueryState query={environments}>
          {(data) =>
            !data.items.length ? (
              <EmptyState title="No environments" />
            ) : (
              <ul className="grid gap-3" aria-label="Environments">
                {data.items.map((environment) => (
                  <EnvironmentItem key={environment.id} environment={environment} admin={admin} />
                ))}
              </ul>
            )
          }
        </QueryState>
      </div>
    </>
  );
}

function EnvironmentItem({ environment, admin }: { environment: Environment; admin: boolean }) {
  const _queryClient = useQueryClient();
  const update = useMutation(trpc.environments.update.mutationOptions());
  const remove = useMutation(trpc.environments.delete.mutationOptions());
  const name = environment.name;
  const refresh = async () => {
    await invalidateFor({ type: 'environment' });
  };
  return (
    <li className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
      <div className="flex flex-wrap items-center gap-3">
        <h2 className="text-base font-semibold">{name}</h2>
        {environment.followsLatest ? <Badge tone="accent">follows latest</Badge> : <Badge>manual</Badge>}
        <span className="mr-auto text-xs text-zinc-600 dark:text-zinc-400">
          since {new Date(environment.createdAt).toLocaleDateString()}
        </span>
        {admin && (
          <ConfirmButton
            label={
              environment.followsLatest ? `Stop following latest in ${name}` : `Follow latest in ${name}`
            }
            title={
              environment.followsLatest ? `Stop following latest in ${name}?` : `Follow latest in ${name}?`
            }
            description={
              environment.followsLatest ? (
                `Every template's current version (with its agents' current versions) is deployed to ${name} now, so its sessions get what they get today. From then on, saves reach ${name} only when deployed.`
              ) : (
                <>
                  <p className="mb-2">
                    Its deployments are dropped and every save, deployed or not, reaches {name}'s sessions at
                    once. What {name} serves changes now:
                  </p>
                  <DryRun
                    queryKey={['followLatest', name]}
                    run={() =>
                      client.environments.update.mutate({
                        environment: name,
                        followsLatest: true,
                        dryRun: true,
                      })
                    }
                    empty={`Every template already serves its current version in ${name}.`}
                  />
                </>
              )
            }
            confirmLabel={environment.followsLatest ? 'Stop following latest' : 'Follow latest'}
            variant={environment.followsLatest ? 'primary' : 'danger'}
            onConfirm={async () => {
              try {
                await update.mutateAsync({ environment: name, followsLatest: !environment.followsLatest });
                await refresh();
                toast.success(
                  `${name} ${environment.followsLatest ? 'no longer follows' : 'follows'} latest`,
                );
              } catch (error) {
                toast.error(serverError(error).message);
              }
            }}
          />
        )}
        {admin && name !== PRODUCTION && (
          <ConfirmButton
            label={`Delete ${name}`}
            title={`Delete the environment ${name}?`}
            description={`Its deployments go with it, and runtimes asking for ${name} are refused (404).`}
            confirmLabel="Delete environment"
            onConfirm={async () => {
              try {
                await remove.mutateAsync({ environment: name });
                await refresh();
                toast.success(`Deleted ${name}`);
              } catch (error) {
                toast.error(serverError(error).message);
              }
            }}
          />
        )}
      </div>
      <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
        {environment.followsLatest ? FOLLOWS_LATEST : MANUAL}
      </p>
    </li>
  );
}

function CreateEnvironment({ count }: { count: number }) {
  const _queryClient = useQueryClient();
  const create = useMutation(trpc.environments.create.mutationOptions());
  const form = useForm<
    z.input<typeof CreateEnvironmentInput>,
    unknown,
    z.output<typeof CreateEnvironmentInput>
  >({
    resolver: zodResolver(CreateEnvironmentInput),
    defaultValues: { name: '', followsLatest: false },
  });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (values) => {
    try {
      const created = await create.mutateAsync(values);
      await invalidateFor({ type: 'environment' });
      toast.success(`Created ${created.name}`);
      form.reset();
    } catch (error) {
      const rest = applyServerError(form.setError, serverError(error));
      if (rest) toast.error(rest);
    }
  });
  return (
    <Card>
      <h2 className="mb-4 text-base font-semibold">Create an environment</h2>
      <form onSubmit={submit} noValidate className="grid items-start gap-4 md:grid-cols-[2fr_2fr_auto]">
        <TextField
          label="Name"
          hint={`Lower-case letters, digits and -, e.g. “staging” (${count} of ${ENVIRONMENTS_MAX} used)`}
          error={errors.name?.message}
          registration={form.register('name')}
        />
        <label className="flex items-center gap-2 text-sm md:mt-8">
          <input type="checkbox" {...form.register('followsLatest')} className="h-4 w-4" />
          Follows latest (serves every save at once)
        </label>
        <Button type="submit" className="md:mt-6" disabled={isSubmitting}>
          {isSubmitting ? 'Creating…' : 'Create environment'}
        </Button>
      </form>
    </Card>
  );
}
