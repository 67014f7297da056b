import { zodResolver } from '@hookform/resolvers/zod';
import { LoginInput } from '@switchboard/contract';
import { createFileRoute, Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { AuthShell } from '../components/AuthShell';
import { Button, Notice, TextField } from '../components/ui';
import { client, serverError } from '../lib/api';
import { session } from '../lib/session';

export const Route = createFileRoute('/sign-in')({
  validateSearch: z.object({ redirect: z.string().startsWith('/').optional() }),
  component: SignIn,
});

function SignIn() {
  const { redirect } = Route.useSearch();
  const navigate = useNavigate();
  const [failure, setFailure] = useState<string | null>(null);
  const form = useForm({ resolver: zodResolver(LoginInput), defaultValues: { email: '', password: '' } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    try {
      session.set(await client.auth.login.mutate(values));
      await navigate({ to: redirect ?? '/templates' });
    } catch (error) {
      setFailure(serverError(error).message);
    }
  });

  return (
    <AuthShell title="Sign in to Switchboard">
      <form onSubmit={submit} className="space-y-4" noValidate>
        {failure && <Notice>{failure}</Notice>}
        <TextField
          label="Email"
          error={errors.email?.message}
          registration={form.register('email')}
          type="email"
          autoComplete="email"
        />
        <TextField
          label="Password"
          error={errors.password?.message}
          registration={form.register('password')}
          type="password"
          autoComplete="current-password"
        />
        <Button type="submit" className="w-full" disabled={isSubmitting}>
          {isSubmitting ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
      <p className="mt-6 text-center text-sm text-zinc-600 dark:text-zinc-400">
        New to Switchboard?{' '}
        <Link to="/sign-up" className="font-medium text-indigo-700 underline dark:text-indigo-300">
          Create an organization
        </Link>
      </p>
    </AuthShell>
  );
}
