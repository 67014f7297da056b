import { zodResolver } from '@hookform/resolvers/zod';
import type { User } from '@switchboard/client';
import { AddMemberInput, ROLES } from '@switchboard/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createFileRoute } from '@tanstack/react-router';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import type { z } from 'zod';
import {
  AdminsOnly,
  Badge,
  Button,
  Card,
  Field,
  inputClass,
  Notice,
  PageHeader,
  QueryState,
  TextField,
} from '../../components/ui';
import { serverError, trpc } from '../../lib/api';
import { applyServerError } from '../../lib/forms';
import { invalidateFor } from '../../lib/invalidation';
import { session } from '../../lib/session';

export const Route = createFileRoute('/_app/members')({ component: Members });

function Members() {
  if (!session.isAdmin()) {
    return <AdminsOnly title="Members" what="manage members" />;
  }
  return <MemberAdmin />;
}

function MemberAdmin() {
  const _queryClient = useQueryClient();
  const members = useQuery(trpc.organization.listMembers.queryOptions());
  const update = useMutation(trpc.organization.updateMember.mutationOptions());
  const [refusal, setRefusal] = useState<string | null>(null);
  const me = session.get()?.user.id;

  const change = async (member: User, patch: { role?: User['role']; isActive?: boolean }) => {
    setRefusal(null);
    try {
      await update.mutateAsync({ id: member.id, ...patch });
      await invalidateFor({ type: 'member' });
      toast.success(`Updated ${member.email}`);
    } catch (error) {
      const problem = serverError(error);
      setRefusal(
        problem.code === 'CONFLICT'
          ? 'Every organization keeps at least one active admin: make someone else an admin first.'
          : problem.message,
      );
    }
  };

  return (
    <>
      <PageHeader title="Members" description="Admins change configuration; members read it." />
      {refusal && (
        <div className="mb-4">
          <Notice>{refusal}</Notice>
        </div>
      )}
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <QueryState query={members}>
          {(data) => (
            <ul className="divide-y divide-zinc-200 self-start rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-900">
              {data.items.map((member) => (
                <li key={member.id} className="flex flex-wrap items-center gap-3 px-4 py-3">
                  <div className="mr-auto">
                    <div className="text-sm font-medium">
                      {member.fullName ?? member.email} {member.id === me && <Badge>you</Badge>}
                    </div>
                    <div className="text-xs text-zinc-600 dark:text-zinc-400">{member.email}</div>
                  </div>
                  {!member.isActive && <Badge tone="warn">deactivated</Badge>}
                  <label className="sr-only" htmlFor={`role-${member.id}`}>
                    Role of {member.email}
                  </label>
                  <select
                    id={`role-${member.id}`}
                    className={inputClass.replace('w-full', 'w-28')}
                    value={member.role}
                    onChange={(event) => void change(member, { role: event.target.value as User['role'] })}
                  >
                    {ROLES.map((role) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                  <Button
                    variant="secondary"
                    onClick={() => void change(member, { isActive: !member.isActive })}
                  >
                    {member.isActive ? 'Deactivate' : 'Reactivate'}
                  </Button>
                </li>
              ))}
            </ul>
          )}
        </QueryState>
        <AddMember />
      </div>
    </>
  );
}

type AddInput = z.input<typeof AddMemberInput>;

function AddMember() {
  const _queryClient = useQueryClient();
  const add = useMutation(trpc.organization.addMember.mutationOptions());
  const form = useForm<AddInput, unknown, z.output<typeof AddMemberInput>>({
    resolver: zodResolver(AddMemberInput),
    defaultValues: { email: '', password: '', fullName: '', role: 'member' },
  });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (values) => {
    try {
      const added = await add.mutateAsync({ ...values, fullName: values.fullName || null });
      await invalidateFor({ type: 'member' });
      toast.success(`Added ${added.email}`);
      form.reset();
    } catch (error) {
      const problem = serverError(error);
      if (problem.code === 'CONFLICT') form.setError('email', { message: problem.message });
      else {
        const rest = applyServerError(form.setError, problem);
        if (rest) toast.error(rest);
      }
    }
  });
  return (
    <Card className="self-start">
      <h2 className="mb-4 text-base font-semibold">Add a member</h2>
      <form onSubmit={submit} noValidate className="space-y-4">
        <TextField
          label="Email"
          error={errors.email?.message}
          registration={form.register('email')}
          type="email"
        />
        <TextField
          label="Name"
          hint="Optional"
          error={errors.fullName?.message}
          registration={form.register('fullName')}
        />
        <Field
          label="Initial password"
          hint="8 to 128 characters; share it safely"
          error={errors.password?.message}
        >
          {(control) => (
            <input
              {...control}
              {...form.register('password')}
              type="password"
              autoComplete="new-password"
              className={inputClass}
            />
          )}
        </Field>
        <Field label="Role" error={errors.role?.message}>
          {(control) => (
            <select {...control} {...form.register('role')} className={inputClass}>
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {role}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting ? 'Adding…' : 'Add member'}
        </Button>
      </form>
    </Card>
  );
}
