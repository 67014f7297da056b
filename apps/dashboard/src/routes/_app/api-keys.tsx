import { zodResolver } from '@hookform/resolvers/zod';
import { API_KEY_SCOPES, type ApiKey } from '@switchboard/client';
import { CreateApiKeyInput } from '@switchboard/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createFileRoute } from '@tanstack/react-router';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { z } from 'zod';
import { SecretOnce } from '../../components/SecretOnce';
import {
  AdminsOnly,
  Badge,
  Button,
  Card,
  ConfirmButton,
  DataTable,
  EmptyState,
  Field,
  inputClass,
  PageHeader,
  QueryState,
  TextField,
} from '../../components/ui';
import { serverError, trpc } from '../../lib/api';
import { applyServerError } from '../../lib/forms';
import { invalidateFor } from '../../lib/invalidation';
import { session } from '../../lib/session';

export const Route = createFileRoute('/_app/api-keys')({ component: ApiKeys });

const SCOPE_LABELS = {
  read: 'read: reads only',
  write: 'write: reads and writes',
} as const;

const EXPIRY = { never: 'Never', '30': 'In 30 days', '90': 'In 90 days', '365': 'In a year' } as const;

function status(key: ApiKey): { label: string; tone: 'neutral' | 'accent' | 'warn' } {
  if (key.revokedAt) return { label: 'revoked', tone: 'warn' };
  if (key.expiresAt && Date.parse(key.expiresAt) <= Date.now()) return { label: 'expired', tone: 'warn' };
  return { label: 'active', tone: 'accent' };
}

const when = (at: string | null, none: string) => (at ? new Date(at).toLocaleString() : none);

function ApiKeys() {
  if (!session.isAdmin()) {
    return <AdminsOnly title="API keys" what="manage API keys" />;
  }
  return <KeyAdmin />;
}

function KeyAdmin() {
  const _queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions());
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys for your servers: the session runtime reads session configs with one, CI imports with another. A key acts for the organization, not for a person."
      />
      {created && (
        <SecretOnce
          id="new-secret"
          of={created.name}
          secret={created.secret}
          onStored={() => setCreated(null)}
        />
      )}
      <div className="grid gap-6">
        <CreateKey onCreated={setCreated} />
        <QueryState query={keys}>
          {(data) =>
            !data.items.length ? (
              <EmptyState title="No API keys yet">Create one for your session runtime.</EmptyState>
            ) : (
              <DataTable
                className="self-start"
                caption="API keys"
                rows={data.items}
                rowKey={(key) => key.id}
                columns={[
                  {
                    header: 'Name',
                    cell: (key) => (
                      <>
                        <div className="font-medium">{key.name}</div>
                        <code className="text-xs text-zinc-600 dark:text-zinc-400">{key.prefix}…</code>
                      </>
                    ),
                  },
                  { header: 'Scope', cell: (key) => SCOPE_LABELS[key.scope] },
                  { header: 'Environment', cell: (key) => key.environment ?? 'Any' },
                  {
                    header: 'Created',
                    cell: (key) => (
                      <>
                        {when(key.createdAt, '')}
                        <div className="text-xs text-zinc-600 dark:text-zinc-400">
                          by {key.createdBy.name}
                        </div>
                      </>
                    ),
                  },
                  { header: 'Last used', cell: (key) => when(key.lastUsedAt, 'Never') },
                  { header: 'Expires', cell: (key) => when(key.expiresAt, 'Never') },
                  {
                    header: 'Status',
                    cell: (key) => {
                      const state = status(key);
                      return (
                        <>
                          <Badge tone={state.tone}>{state.label}</Badge>
                          {key.revokedAt && (
                            <div className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
                              {when(key.revokedAt, '')}
                              {key.revokedBy ? ` by ${key.revokedBy.name}` : ''}
                            </div>
                          )}
                        </>
                      );
                    },
                  },
                  {
                    header: 'Actions',
                    hideHeader: true,
                    className: 'text-right',
                    cell: (key) =>
                      !key.revokedAt && (
                        <ConfirmButton
                          label="Revoke"
                          title={`Revoke “${key.name}”?`}
                          description="Every server using it is refused within a second. This cannot be undone: create a new key to replace it."
                          confirmLabel="Revoke key"
                          onConfirm={async () => {
                            try {
                              await revoke.mutateAsync({ id: key.id });
                              await invalidateFor({ type: 'apiKey' });
                              toast.success(`Revoked “${key.name}”`);
                            } catch (error) {
                              toast.error(serverError(error).message);
                            }
                          }}
                        />
                      ),
                  },
                ]}
              />
            )
          }
        </QueryState>
      </div>
    </>
  );
}

const CreateKeyForm = CreateApiKeyInput.pick({ name: true, scope: true, environment: true }).extend({
  expiresIn: z.enum(Object.keys(EXPIRY) as [keyof typeof EXPIRY, ...(keyof typeof EXPIRY)[]]),
});

function CreateKey({ onCreated }: { onCreated: (created: { name: string; secret: string }) => void }) {
  const _queryClient = useQueryClient();
  const create = useMutation(trpc.apiKeys.create.mutationOptions());
  const environments = useQuery(trpc.environments.list.queryOptions());
  const form = useForm<z.input<typeof CreateKeyForm>, unknown, z.output<typeof CreateKeyForm>>({
    resolver: zodResolver(CreateKeyForm),
    defaultValues: { name: '', scope: 'read', expiresIn: 'never', environment: null },
  });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async ({ expiresIn, ...values }) => {
    const expiresAt =
      expiresIn === 'never' ? null : new Date(Date.now() + Number(expiresIn) * 86_400_000).toISOString();
    try {
      const { apiKey, secret } = await create.mutateAsync({ ...values, expiresAt });
      await invalidateFor({ type: 'apiKey' });
      onCreated({ name: apiKey.name, secret });
      form.reset();
    } catch (error) {
      const rest = applyServerError(form.setError, serverError(error));
      if (rest) toast.error(rest);
    }
  });
  return (
    <Card>
      <h2 className="mb-4 text-base font-semibold">Create a key</h2>
      <form
        onSubmit={submit}
        noValidate
        className="grid items-start gap-4 md:grid-cols-[2fr_2fr_1fr_1fr_auto]"
      >
        <TextField
          label="Name"
          hint="What uses it, e.g. “Session runtime (production)”"
          error={errors.name?.message}
          registration={form.register('name')}
        />
        <Field
          label="Scope"
          hint="Reads: agents, templates, session configs. Writes: changing them."
          error={errors.scope?.message}
        >
          {(control) => (
            <select {...control} {...form.register('scope')} className={inputClass}>
              {API_KEY_SCOPES.map((scope) => (
                <option key={scope} value={scope}>
                  {SCOPE_LABELS[scope]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Environment"
          hint="A bound key reads that environment's config and deploys only there"
          error={errors.environment?.message}
        >
          {(control) => (
            <select
              {...control}
              {...form.register('environment', { setValueAs: (value: string) => value || null })}
              className={inputClass}
            >
              <option value="">Any</option>
              {environments.data?.items.map((environment) => (
                <option key={environment.id} value={environment.name}>
                  {environment.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Expires" error={errors.expiresIn?.message}>
          {(control) => (
            <select {...control} {...form.register('expiresIn')} className={inputClass}>
              {Object.entries(EXPIRY).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button type="submit" className="md:mt-6" disabled={isSubmitting}>
          {isSubmitting ? 'Creating…' : 'Create key'}
        </Button>
      </form>
    </Card>
  );
}
