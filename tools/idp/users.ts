import { readFileSync } from 'node:fs';
import { timingSafeEqual, createHash } from 'node:crypto';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';

/** The roles the contract names (claim `kpi_roles`). */
export const KPI_ROLES = ['employee', 'supervisor', 'hr', 'works_council', 'analyst', 'admin'] as const;

const userSchema = z.strictObject({
  sub: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (at most 64)'),
  name: z.string().min(1),
  password: z.string().min(8),
  kpi_roles: z.array(z.enum(KPI_ROLES)).min(1),
  employee_id: z.string().min(1).optional(),
  /** HR of one plant: its tokens carry `plant_id`, and the app limits HR to that plant. */
  plant_id: z.string().min(1).optional(),
});
const fileSchema = z.strictObject({ users: z.array(userSchema).min(1) });

export type IdpUser = z.infer<typeof userSchema>;

/** Reads and checks the users file; a bad one stops the identity provider naming the file and the field. */
export function readUsers(path: string): IdpUser[] {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('KPI_IDP_USERS_FILE', `cannot read ${path}: ${(error as Error).message}`);
  }
  const result = fileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError('KPI_IDP_USERS_FILE', `${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const subs = new Set<string>();
  for (const user of result.data.users) {
    if (subs.has(user.sub)) throw new ConfigError('KPI_IDP_USERS_FILE', `${path}: sub ${user.sub} appears twice`);
    subs.add(user.sub);
  }
  return result.data.users;
}

/** The user a login names (by sub), if the password is theirs; compared in constant time. */
export function authenticate(users: readonly IdpUser[], login: string, password: string): IdpUser | undefined {
  const user = users.find((u) => u.sub === login);
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const matches = timingSafeEqual(digest(user?.password ?? ''), digest(password));
  return user !== undefined && matches ? user : undefined;
}
