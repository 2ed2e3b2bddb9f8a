import { metaNamespace } from '../runtime/resource/meta.js';

/** The roles of the API, as Talos has them: each includes the rights of the one before it. */
export const roles = ['reader', 'operator', 'admin'] as const;

/** A role of the API: `reader` reads and watches, `operator` also writes non-sensitive types, `admin` does everything. */
export type Role = (typeof roles)[number];

/** The prefix of the Organization (O) values that carry roles in client certificates (`converge:admin`). */
const roleOrganizationPrefix = 'converge:';

/** The certificate Organization value that grants a role. */
export function roleOrganization(role: Role): string {
  return `${roleOrganizationPrefix}${role}`;
}

/** True when `value` names a role. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

/**
 * The strongest role granted by a certificate's Organization values, or `undefined` when none is.
 * Unknown values are ignored, so a certificate may carry other organizations too.
 */
export function roleFromOrganizations(
  organizations: string | readonly string[] | undefined,
): Role | undefined {
  const list = typeof organizations === 'string' ? [organizations] : (organizations ?? []);
  let best = -1;
  for (const o of list) {
    if (!o.startsWith(roleOrganizationPrefix)) continue;
    best = Math.max(best, roles.indexOf(o.slice(roleOrganizationPrefix.length) as Role));
  }
  return best < 0 ? undefined : roles[best];
}

/** True when `role` includes the rights of `needed`. */
export function roleIncludes(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && roles.indexOf(role) >= roles.indexOf(needed);
}

/** Who may write a type: operators for ordinary types, only admins for sensitive ones and for `meta`. */
export function writeRoleFor(sensitive: boolean, namespace: string): Role {
  return sensitive || namespace === metaNamespace ? 'admin' : 'operator';
}

/** Readers and operators see sensitive specs redacted; admins see them whole. */
export function seesSensitive(role: Role | undefined): boolean {
  return role === 'admin';
}
