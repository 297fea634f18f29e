import { ForbiddenError } from '../errors/api-error.ts';
import type { Viewer } from '../rules/viewer.ts';

/**
 * What a superuser may do (docs/security.md "Roles for operators"):
 * - `owner`: everything, and the only role that may make or change an owner;
 * - `admin`: everything else: settings, superusers, API and S3 keys, backups, crons;
 * - `developer`: schema, functions and data (collections, records, storage), no settings,
 *   superusers, keys or backups;
 * - `viewer`: reads only (dashboard, records, logs, audit).
 * A superuser without a role (one made before roles existed) is an owner.
 */
export const OPERATOR_ROLES = ['owner', 'admin', 'developer', 'viewer'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/** What a route or write needs, from least to most guarded. */
export type OperatorCapability = 'read' | 'build' | 'settings' | 'operate';

const ALLOWED: Record<OperatorRole, readonly OperatorCapability[]> = {
  owner: ['read', 'build', 'settings', 'operate'],
  admin: ['read', 'build', 'settings', 'operate'],
  developer: ['read', 'build'],
  viewer: ['read'],
};

/** The `role` field's definition on `_superusers` (added at start when missing). */
export function roleField(): Record<string, unknown> {
  return {
    name: 'role',
    type: 'select',
    values: [...OPERATOR_ROLES],
    maxSelect: 1,
    required: false,
    system: true,
  };
}

/** A role from a stored value: '' (before roles existed) is an owner. */
export function parseRole(v: unknown): OperatorRole {
  return OPERATOR_ROLES.includes(v as OperatorRole) ? (v as OperatorRole) : 'owner';
}

/** The role of a signed-in superuser; undefined for every other viewer (the system included). */
export function roleOf(viewer: Viewer): OperatorRole | undefined {
  if (!viewer.superuser || viewer.system || !viewer.auth) return undefined;
  return parseRole(viewer.auth.record.role);
}

/** Whether `role` has `capability`. */
export function roleAllows(role: OperatorRole, capability: OperatorCapability): boolean {
  return ALLOWED[role].includes(capability);
}

/**
 * Refuses (403) a superuser whose role lacks `capability`; other viewers pass (their own
 * checks, rules and API-key scopes, still apply).
 */
export function requireCapability(viewer: Viewer, capability: OperatorCapability): void {
  const role = roleOf(viewer);
  if (role && !roleAllows(role, capability))
    throw new ForbiddenError(`The superuser role "${role}" is not allowed to perform this action.`);
}

/**
 * The capability a superuser request needs, from its method and route template. Reads
 * need `read`, except the settings (which hold the configuration of secrets); a
 * superuser's own sign-in and account flows are reads too. Unlisted writes (records,
 * storage, functions …) need `build`.
 */
export function routeCapability(method: string, url: string): OperatorCapability {
  if (url.startsWith('/api/settings')) return 'settings';
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return 'read';
  if (READ_POSTS.has(`${method} ${url}`) || OWN_ACCOUNT.test(url)) return 'read';
  if (OPERATE.some((p) => url.startsWith(p)) || url.includes('/impersonate/')) return 'operate';
  return 'build';
}

/** POSTs that change nothing: realtime subscriptions, file tokens, listings, signed read URLs. */
const READ_POSTS = new Set([
  'POST /api/realtime',
  'POST /api/files/token',
  'POST /api/storage/object/list/:bucket',
  'POST /api/storage/object/sign/:bucket/*',
]);

/** Sign-in and account routes: they act on the signed-in record itself. */
const OWN_ACCOUNT =
  /^\/api\/collections\/:c\/(auth-|request-|confirm-|totp\/|passkeys|external-auths|upgrade-anonymous)/;

/** Routes that run the instance: keys, backups, crons, log truncation. */
const OPERATE = [
  '/api/backups',
  '/api/crons',
  '/api/keys',
  '/api/storage/s3-keys',
  '/api/logs',
  '/api/audit',
];
