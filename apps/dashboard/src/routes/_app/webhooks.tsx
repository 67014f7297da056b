import { zodResolver } from '@hookform/resolvers/zod';
import type { RouterOutputs } from '@switchboard/client';
import { AUDIT_RESOURCE_TYPES, CreateWebhookInput } from '@switchboard/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createFileRoute } from '@tanstack/react-router';
import { useId, useState } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import type { z } from 'zod';
import { SecretOnce } from '../../components/SecretOnce';
import {
  AdminsOnly,
  Badge,
  Button,
  Card,
  ConfirmButton,
  DataTable,
  EmptyState,
  Fieldset,
  inputClass,
  PageHeader,
  QueryState,
  TextField,
} from '../../components/ui';
import { serverError, trpc } from '../../lib/api';
import { applyServerError } from '../../lib/forms';
import { invalidateFor } from '../../lib/invalidation';
import { session } from '../../lib/session';

export const Route = createFileRoute('/_app/webhooks')({ component: Webhooks });

type Webhook = RouterOutputs['webhooks']['list']['items'][number];

const KIND_LABELS: Record<(typeof AUDIT_RESOURCE_TYPES)[number], string> = {
  agent: 'Agents',
  sessionTemplate: 'Session templates',
  deployment: 'Deployments',
  environment: 'Environments',
  member: 'Members',
  apiKey: 'API keys',
  config: 'Imports',
  webhook: 'Webhooks',
};

function Webhooks() {
  if (!session.isAdmin()) return <AdminsOnly title="Webhooks" what="manage webhooks" />;
  return <WebhookAdmin />;
}

function WebhookAdmin() {
  const webhooks = useQuery(trpc.webhooks.list.queryOptions());
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Your endpoints get every change you choose, signed (Standard Webhooks), retried until they answer, with a log of every attempt."
      />
      {secret && (
        <SecretOnce
          id="webhook-secret"
          of={secret.url}
          secret={secret.secret}
          onStored={() => setSecret(null)}
        />
      )}
      <div className="grid gap-6">
        <CreateWebhook onCreated={setSecret} />
        <QueryState query={webhooks}>
          {(data) =>
            !data.items.length ? (
              <EmptyState title="No webhooks yet">Add an endpoint above to hear of every change.</EmptyState>
            ) : (
              <ul className="grid gap-4" aria-label="Webhook endpoints">
                {data.items.map((webhook) => (
                  <WebhookItem key={webhook.id} webhook={webhook} onSecret={setSecret} />
                ))}
              </ul>
            )
          }
        </QueryState>
      </div>
    </>
  );
}

function CreateWebhook({ onCreated }: { onCreated: (shown: { url: string; secret: string }) => void }) {
  const _queryClient = useQueryClient();
  const create = useMutation(trpc.webhooks.create.mutationOptions());
  const form = useForm<z.input<typeof CreateWebhookInput>, unknown, z.output<typeof CreateWebhookInput>>({
    resolver: zodResolver(CreateWebhookInput),
    defaultValues: { url: '', description: '', eventTypes: ['*'] },
  });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (values) => {
    try {
      const created = await create.mutateAsync({ ...values, description: values.description || null });
      await invalidateFor({ type: 'webhook' });
      onCreated({ url: created.webhook.url, secret: created.secret });
      form.reset();
    } catch (error) {
      const rest = applyServerError(form.setError, serverError(error));
      if (rest) toast.error(rest);
    }
  });
  return (
    <Card>
      <h2 className="mb-4 text-base font-semibold">Add an endpoint</h2>
      <form onSubmit={submit} noValidate className="grid gap-4">
        <div className="grid gap-4 md:grid-cols-2">
          <TextField
            label="URL"
            hint="https://…, reachable from the internet"
            error={errors.url?.message}
            registration={form.register('url')}
          />
          <TextField
            label="Description"
            hint="Optional: what it is for"
            error={errors.description?.message}
            registration={form.register('description')}
          />
        </div>
        <Fieldset
          legend="Events to send"
          error={errors.eventTypes?.message ?? errors.eventTypes?.root?.message}
        >
          <div className="flex flex-wrap gap-x-5 gap-y-2">
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" value="*" {...form.register('eventTypes')} className="h-4 w-4" />
              Every event
            </label>
            {AUDIT_RESOURCE_TYPES.map((kind) => (
              <label key={kind} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  value={`${kind}.*`}
                  {...form.register('eventTypes')}
                  className="h-4 w-4"
                />
                {KIND_LABELS[kind]}
              </label>
            ))}
          </div>
        </Fieldset>
        <div>
          <Button type="submit" disabled={isSubmitting}>
            {isSubmitting ? 'Adding…' : 'Add endpoint'}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function WebhookItem({
  webhook,
  onSecret,
}: {
  webhook: Webhook;
  onSecret: (shown: { url: string; secret: string }) => void;
}) {
  const _queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const update = useMutation(trpc.webhooks.update.mutationOptions());
  const remove = useMutation(trpc.webhooks.delete.mutationOptions());
  const test = useMutation(trpc.webhooks.test.mutationOptions());
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions());
  const refresh = async () => {
    await invalidateFor({ type: 'webhook' });
  };
  const act = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      await refresh();
      toast.success(done);
    } catch (error) {
      toast.error(serverError(error).message);
    }
  };
  return (
    <li className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
      <div className="flex flex-wrap items-center gap-3">
        <h2 className="min-w-0 text-base font-semibold break-all">{webhook.url}</h2>
        {webhook.enabled ? (
          <Badge tone="accent">enabled</Badge>
        ) : (
          <Badge tone="warn">disabled{webhook.disabledReason ? `: ${webhook.disabledReason}` : ''}</Badge>
        )}
      </div>
      {webhook.description && <p className="mt-1 text-sm">{webhook.description}</p>}
      <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">Events: {webhook.eventTypes.join(', ')}</p>
      <div className="mt-3 flex flex-wrap gap-2">
        <Button
          variant="secondary"
          onClick={() =>
            act(async () => {
              await test.mutateAsync({ id: webhook.id });
              setOpen(true);
            }, `Test event sent to ${webhook.url}`)
          }
        >
          Send a test event
        </Button>
        <Button variant="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Hide deliveries' : 'Show deliveries'}
        </Button>
        <Button
          variant="secondary"
          onClick={() =>
            act(
              () => update.mutateAsync({ id: webhook.id, enabled: !webhook.enabled }),
              webhook.enabled ? 'Disabled' : 'Enabled',
            )
          }
        >
          {webhook.enabled ? 'Disable' : 'Enable'}
        </Button>
        <ConfirmButton
          label="Rotate secret"
          title={`Rotate the signing secret of ${webhook.url}?`}
          description="A new secret signs every delivery from now on; the old one also signs for 24 hours, so the receiver can switch without missing any."
          confirmLabel="Rotate secret"
          variant="primary"
          onConfirm={() =>
            act(async () => {
              const { secret } = await rotate.mutateAsync({ id: webhook.id });
              onSecret({ url: webhook.url, secret });
            }, 'Secret rotated')
          }
        />
        <ConfirmButton
          label="Delete"
          title={`Delete the endpoint ${webhook.url}?`}
          description="No more deliveries go to it, and its delivery log goes with it."
          confirmLabel="Delete endpoint"
          onConfirm={() => act(() => remove.mutateAsync({ id: webhook.id }), 'Endpoint deleted')}
        />
      </div>
      {open && <Deliveries webhook={webhook} />}
    </li>
  );
}

/** A `datetime-local` value: the date and time on the browser's clock, to the minute. */
function localDateTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function Deliveries({ webhook }: { webhook: Webhook }) {
  const _queryClient = useQueryClient();
  const deliveries = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ id: webhook.id, limit: 20 }),
    refetchInterval: 2_000,
  });
  const retry = useMutation(trpc.webhooks.retry.mutationOptions());
  const recover = useMutation(trpc.webhooks.recover.mutationOptions());
  const sinceId = useId();
  // A day ago on the browser's own clock: the field is a local date and time.
  const [since, setSince] = useState(() => localDateTime(new Date(Date.now() - 86_400_000)));
  const refresh = () => invalidateFor({ type: 'webhook' });
  return (
    <section aria-label={`Deliveries to ${webhook.url}`} className="mt-4 grid gap-3">
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={async (event) => {
          event.preventDefault();
          try {
            const { count } = await recover.mutateAsync({
              id: webhook.id,
              since: new Date(since).toISOString(),
            });
            await refresh();
            toast.success(`${count} failed ${count === 1 ? 'delivery' : 'deliveries'} sent again`);
          } catch (error) {
            toast.error(serverError(error).message);
          }
        }}
      >
        <div className="grid gap-1">
          <label htmlFor={sinceId} className="text-xs font-medium">
            Failed since
          </label>
          <input
            id={sinceId}
            type="datetime-local"
            value={since}
            onChange={(event) => setSince(event.target.value)}
            className={`${inputClass} w-56`}
          />
        </div>
        <Button type="submit" variant="secondary">
          Send the failed ones again
        </Button>
      </form>
      <QueryState query={deliveries} loading="Loading deliveries">
        {(data) =>
          !data.items.length ? (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">No deliveries yet.</p>
          ) : (
            <DataTable
              dense
              caption={`Deliveries to ${webhook.url}`}
              rows={data.items}
              rowKey={(delivery) => delivery.id}
              columns={[
                {
                  header: 'Event',
                  cell: (delivery) => (
                    <>
                      <div className="font-medium">{delivery.type}</div>
                      <div className="text-xs text-zinc-600 dark:text-zinc-400">
                        {delivery.sequence === null ? 'test' : `#${delivery.sequence}`}
                      </div>
                    </>
                  ),
                },
                {
                  header: 'Status',
                  cell: (delivery) => (
                    <>
                      <Badge
                        tone={
                          delivery.status === 'delivered'
                            ? 'accent'
                            : delivery.status === 'failed'
                              ? 'warn'
                              : 'neutral'
                        }
                      >
                        {delivery.status}
                      </Badge>
                      {delivery.nextAttemptAt && delivery.status === 'pending' && (
                        <div className="text-xs text-zinc-600 dark:text-zinc-400">
                          next {new Date(delivery.nextAttemptAt).toLocaleString()}
                        </div>
                      )}
                    </>
                  ),
                },
                {
                  header: 'Attempts',
                  cell: (delivery) => (
                    <ul className="grid gap-1 text-xs">
                      {delivery.attempts.map((attempt) => (
                        <li key={attempt.at}>
                          <time dateTime={attempt.at}>{new Date(attempt.at).toLocaleString()}</time>:{' '}
                          {attempt.statusCode ?? 'no answer'} in {attempt.durationMs} ms
                          {attempt.error ? ` (${attempt.error})` : ''}
                          {attempt.responseBody ? ` · “${attempt.responseBody.slice(0, 80)}”` : ''}
                        </li>
                      ))}
                    </ul>
                  ),
                },
                {
                  header: 'Actions',
                  hideHeader: true,
                  className: 'text-right',
                  cell: (delivery) => (
                    <Button
                      variant="secondary"
                      onClick={async () => {
                        try {
                          await retry.mutateAsync({ id: webhook.id, deliveryId: delivery.id });
                          await refresh();
                          toast.success('Sent again');
                        } catch (error) {
                          toast.error(serverError(error).message);
                        }
                      }}
                    >
                      Send again
                    </Button>
                  ),
                },
              ]}
            />
          )
        }
      </QueryState>
    </section>
  );
}
