import { zodResolver } from '@hookform/resolvers/zod';
import { SignupInput } from '@switchboard/contract';
import { createFileRoute, Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { AuthShell } from '../components/AuthShell';
import { Button, Notice, TextField } from '../components/ui';
import { client, serverError } from '../lib/api';
import { applyServerError } from '../lib/forms';
import { session } from '../lib/session';

export const Route = createFileRoute('/sign-up')({ component: SignUp });

function SignUp() {
  const navigate = useNavigate();
  const [failure, setFailure] = useState<string | null>(null);
  const form = useForm({
    resolver: zodResolver(SignupInput),
    defaultValues: { email: '', password: '', fullName: '', organizationName: '' },
  });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    try {
      session.set(await client.auth.signup.mutate({ ...values, fullName: values.fullName || null }));
      await navigate({ to: '/templates' });
    } catch (error) {
      const problem = serverError(error);
      if (problem.code === 'CONFLICT') form.setError('email', { message: problem.message });
      else setFailure(applyServerError(form.setError, problem));
    }
  });

  return (
    <AuthShell title="Create your organization">
      <form onSubmit={submit} className="space-y-4" noValidate>
        {failure && <Notice>{failure}</Notice>}
        <TextField
          label="Organization name"
          error={errors.organizationName?.message}
          registration={form.register('organizationName')}
        />
        <TextField
          label="Your name"
          hint="Optional"
          error={errors.fullName?.message}
          registration={form.register('fullName')}
          autoComplete="name"
        />
        <TextField
          label="Email"
          error={errors.email?.message}
          registration={form.register('email')}
          type="email"
          autoComplete="email"
        />
        <TextField
          label="Password"
          hint="8 to 128 characters"
          error={errors.password?.message}
          registration={form.register('password')}
          type="password"
          autoComplete="new-password"
        />
        <Button type="submit" className="w-full" disabled={isSubmitting}>
          {isSubmitting ? 'Creating…' : 'Create organization'}
        </Button>
      </form>
      <p className="mt-6 text-center text-sm text-zinc-600 dark:text-zinc-400">
        Already have an account?{' '}
        <Link to="/sign-in" className="font-medium text-indigo-700 underline dark:text-indigo-300">
          Sign in
        </Link>
      </p>
    </AuthShell>
  );
}
