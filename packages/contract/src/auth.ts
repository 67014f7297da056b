import { z } from 'zod';
import { Id, Name, Timestamp, text } from './common';
import { roleSchema } from './enumSchemas';

/** Emails are compared case-insensitively everywhere: they are stored lower-cased. */
const Role = roleSchema;

export const Email = text().trim().toLowerCase().max(254).pipe(z.email()).meta({ format: 'email' });
/** Capped before hashing, so a huge password cannot cost the server. */
export const Password = z.string().min(8).max(128);
const FullName = text().trim().max(255).nullable().optional();

export const Organization = z
  .object({
    id: Id,
    name: z.string(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Organization' });
export type Organization = z.infer<typeof Organization>;

export const User = z
  .object({
    id: Id,
    organizationId: Id,
    email: z.string(),
    fullName: z.string().nullable(),
    role: Role,
    isActive: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof User>;

export const SignupInput = z
  .strictObject({
    email: Email,
    password: Password,
    fullName: FullName,
    organizationName: Name,
  })
  .meta({ id: 'SignupInput' });
export type SignupInput = z.input<typeof SignupInput>;

export const LoginInput = z
  .strictObject({
    email: Email,
    password: z.string().min(1).max(128),
  })
  .meta({ id: 'LoginInput' });
export type LoginInput = z.input<typeof LoginInput>;

export const Session = z.object({ user: User, organization: Organization }).meta({ id: 'Session' });
export type Session = z.infer<typeof Session>;

export const AuthResult = Session.extend({ accessToken: z.string() }).meta({ id: 'AuthResult' });
export type AuthResult = z.infer<typeof AuthResult>;

export const AddMemberInput = z
  .strictObject({
    email: Email,
    password: Password,
    fullName: FullName,
    role: Role,
  })
  .meta({ id: 'AddMemberInput' });
export type AddMemberInput = z.input<typeof AddMemberInput>;

export const UpdateMemberInput = z
  .strictObject({
    id: Id,
    role: Role.optional(),
    isActive: z.boolean().optional(),
  })
  .meta({ id: 'UpdateMemberInput' });
export type UpdateMemberInput = z.input<typeof UpdateMemberInput>;

export const MemberList = z.object({ items: z.array(User) }).meta({ id: 'MemberList' });
export type MemberList = z.infer<typeof MemberList>;
