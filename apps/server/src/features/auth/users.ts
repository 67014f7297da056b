import type {
  AddMemberInput,
  AuthResult,
  LoginInput,
  MemberList,
  Organization,
  Role,
  Session,
  SignupInput,
  UpdateMemberInput,
  User,
} from '@switchboard/contract';
import { type Db, type OrganizationRow, organizations, type UserRow, users } from '@switchboard/db';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { UserActor } from '../../core/actor';
import { activeRows, isTrue, isUniqueViolation, perDatabase } from '../../core/db';
import { AppError, notFound } from '../../core/errors';
import { type Attribution, recordEvent } from '../history/history';
import { decoyHash, hashPassword, verifyPassword } from './passwords';
import type { TokenService } from './tokens';

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    organizationId: row.organizationId,
    email: row.email,
    fullName: row.fullName,
    role: row.role,
    isActive: row.isActive,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toOrganization(row: OrganizationRow): Organization {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const statements = perDatabase((db) => ({
  actor: db
    .select({
      userId: users.id,
      organizationId: users.organizationId,
      role: users.role,
      name: sql<string>`coalesce(${users.fullName}, ${users.email})`,
    })
    .from(users)
    .where(and(eq(users.id, sql.placeholder('userId')), isTrue(users.isActive)))
    .limit(1)
    .prepare('user_actor'),
  session: db
    .select({ user: users, organization: organizations })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(
      and(
        eq(users.id, sql.placeholder('userId')),
        eq(users.organizationId, sql.placeholder('organizationId')),
      ),
    )
    .limit(1)
    .prepare('user_session'),
}));

/** The caller behind a token, as the database knows them now: null when missing or deactivated. */
export async function findActor(db: Db, userId: string): Promise<UserActor | null> {
  const [row] = await statements(db).actor.execute({ userId });
  return row ? { kind: 'user', ...row } : null;
}

async function issue(
  tokens: TokenService,
  user: UserRow,
  organization: OrganizationRow,
): Promise<AuthResult> {
  const accessToken = await tokens.sign({
    userId: user.id,
    organizationId: user.organizationId,
    role: user.role,
  });
  return { accessToken, user: toUser(user), organization: toOrganization(organization) };
}

/**
 * Inserts a user; a taken email (in any letter case) is 409. The caller hashes the password
 * first, outside any transaction: a slow hash must not hold a connection.
 */
async function insertUser(
  db: Db,
  organizationId: string,
  input: { email: string; fullName?: string | null | undefined; role: Role },
  passwordHash: string,
): Promise<UserRow> {
  try {
    const [row] = await db
      .insert(users)
      .values({
        organizationId,
        email: input.email,
        passwordHash,
        fullName: input.fullName ?? null,
        role: input.role,
      })
      .returning();
    return row!;
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'An account with this email already exists');
    throw error;
  }
}

/** Creates an organization with the new user as its admin; its audit log starts with them joining. */
export async function signup(
  db: Db,
  tokens: TokenService,
  input: z.output<typeof SignupInput>,
  requestId: string,
) {
  const passwordHash = await hashPassword(input.password);
  const { user, organization } = await db.transaction(async (tx) => {
    const [organization] = await tx
      .insert(organizations)
      .values({ name: input.organizationName })
      .returning();
    const user = await insertUser(tx, organization!.id, { ...input, role: 'admin' }, passwordHash);
    const resource = memberResource(user);
    const actor = { type: 'user', id: user.id, name: resource.name } as const;
    await recordEvent(tx, { organizationId: organization!.id, actor, requestId }, 'member.added', resource);
    return { user, organization: organization! };
  });
  return issue(tokens, user, organization);
}

export async function login(db: Db, tokens: TokenService, input: z.output<typeof LoginInput>) {
  const [found] = await db
    .select({ user: users, organization: organizations })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(sql`lower(${users.email}) = ${input.email}`)
    .limit(1);
  const valid = await verifyPassword(input.password, found?.user.passwordHash ?? (await decoyHash()));
  if (!found || !valid || !found.user.isActive) {
    throw new AppError('UNAUTHORIZED', 'Invalid email or password');
  }
  return issue(tokens, found.user, found.organization);
}

export async function getSession(db: Db, actor: UserActor): Promise<Session> {
  const [found] = await statements(db).session.execute({
    userId: actor.userId,
    organizationId: actor.organizationId,
  });
  if (!found) throw notFound('User', actor.userId);
  return { user: toUser(found.user), organization: toOrganization(found.organization) };
}

export async function listMembers(db: Db, organizationId: string): Promise<MemberList> {
  const rows = await db
    .select()
    .from(users)
    .where(eq(users.organizationId, organizationId))
    .orderBy(asc(users.createdAt), asc(users.id));
  return { items: rows.map(toUser) };
}

/** The audit log's resource for a user: their full name, else email, as it is now. */
const memberResource = (user: UserRow) =>
  ({ type: 'member', id: user.id, name: user.fullName ?? user.email }) as const;

export async function addMember(
  db: Db,
  by: Attribution,
  input: z.output<typeof AddMemberInput>,
): Promise<User> {
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const user = await insertUser(tx, by.organizationId, input, passwordHash);
    await recordEvent(tx, by, 'member.added', memberResource(user));
    return toUser(user);
  });
}

/**
 * Changes a member's role or active flag. The organization's active admins are locked first, so
 * two admins demoting each other at once cannot leave the organization without one.
 */
export async function updateMember(
  db: Db,
  by: Attribution,
  input: z.output<typeof UpdateMemberInput>,
): Promise<User> {
  const { organizationId } = by;
  return db.transaction(async (tx) => {
    const admins = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(activeRows(users, organizationId), eq(users.role, 'admin')))
      .for('update');
    const losesAdmin = input.role === 'member' || input.isActive === false;
    if (losesAdmin && admins.length === 1 && admins[0]!.id === input.id) {
      throw new AppError(
        'CONFLICT',
        'The last active admin of an organization cannot be demoted or deactivated',
      );
    }
    const [row] = await tx
      .update(users)
      .set({
        ...(input.role !== undefined && { role: input.role }),
        ...(input.isActive !== undefined && { isActive: input.isActive }),
        updatedAt: sql`now()`,
      })
      .where(and(eq(users.id, input.id), eq(users.organizationId, organizationId)))
      .returning();
    if (!row) throw notFound('User', input.id);
    await recordEvent(tx, by, 'member.updated', memberResource(row));
    return toUser(row);
  });
}
