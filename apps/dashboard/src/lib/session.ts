import type { Organization, User } from '@switchboard/client';

/**
 * Who is signed in. Kept in memory and in `sessionStorage` (this tab only, gone when it closes),
 * never in `localStorage`: a reload keeps the person signed in, another tab or a later visit does not.
 */
export interface Session {
  accessToken: string;
  user: User;
  organization: Organization;
}

const KEY = 'switchboard.session';
let current: Session | null = read();
const listeners = new Set<() => void>();

function read(): Session | null {
  try {
    const stored = sessionStorage.getItem(KEY);
    return stored ? (JSON.parse(stored) as Session) : null;
  } catch {
    return null;
  }
}

export const session = {
  get: () => current,
  token: () => current?.accessToken,
  isAdmin: () => current?.user.role === 'admin',
  set(next: Session | null) {
    current = next;
    if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
    else sessionStorage.removeItem(KEY);
    for (const listener of listeners) listener();
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
