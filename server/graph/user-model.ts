import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Directory, Tenant, User, Identity } from '../directory/index.js';
import type { AttributeDefinition, AttributeValue } from '../directory/attributes.js';
import { PROFILE_COLUMNS, type UserCondition } from '../directory/user-admin.js';
import type { UserProfile } from '../directory/users.js';
import { passwordProblem } from '../flows/password-policy.js';
import { callerOf, readOrWrite, requirePermission } from './auth.js';
import { GraphError, badRequest, notFound } from './errors.js';
import { FilterError, parseFilter, type Clause } from './filter.js';
import { queryOptions, requireEventual, skiptoken } from './odata.js';
import type { GraphDeps } from './routes.js';

/** Graph's default user properties (what GET /users returns without $select). */

/**
 * A Graph user as JSON and back: the default and $select properties, $filter clauses as SQL
 * conditions, and request bodies read into directory changes. The routes are in users.ts.
 */
export const DEFAULT_USER_PROPERTIES = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone',
  'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];
const SELECT_ONLY = ['accountEnabled', 'identities', 'creationType', 'userType', 'createdDateTime', 'city', 'country', 'state',
  'postalCode', 'streetAddress', 'companyName', 'passwordPolicies', 'lastPasswordChangeDateTime', 'signInSessionsValidFromDateTime',
  'otherMails', 'deletedDateTime'];
const KNOWN_PROPERTIES = new Set([...DEFAULT_USER_PROPERTIES, ...SELECT_ONLY]);

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));
export const upn = (user: Pick<User, 'id'>, tenant: Tenant) => `${user.id}@${tenant.defaultDomain}`;

/** Every property the emulator can return for a user; projection picks from it. */
export function userEntity(d: Directory, tenant: Tenant, user: User & { deletedAt?: number | null }): Record<string, unknown> {
  return {
    id: user.id,
    businessPhones: [],
    displayName: user.displayName,
    givenName: user.givenName,
    jobTitle: user.jobTitle,
    mail: user.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: user.surname,
    userPrincipalName: upn(user, tenant),
    accountEnabled: user.accountEnabled,
    identities: [
      ...user.identities,
      { signInType: 'userPrincipalName', issuer: tenant.defaultDomain, issuerAssignedId: upn(user, tenant) },
    ],
    creationType: user.creationType,
    userType: user.userType,
    createdDateTime: iso(user.createdAt),
    city: user.city,
    country: user.country,
    state: user.state,
    postalCode: user.postalCode,
    streetAddress: user.streetAddress,
    companyName: user.companyName,
    passwordPolicies: d.userAdmin.passwordPolicies(tenant.id, user.id),
    lastPasswordChangeDateTime: iso(d.userAdmin.lastPasswordChange(tenant.id, user.id)),
    signInSessionsValidFromDateTime: iso(user.sessionsValidFrom ?? user.createdAt),
    otherMails: [],
    deletedDateTime: iso(user.deletedAt ?? null),
    ...d.attributes.extensionValues(tenant.id, user.id),
  };
}

/** Validates $select against what a user has (built-in properties and the tenant's extension attributes). */
export function checkUserSelect(select: string[] | undefined, defs: Map<string, AttributeDefinition>): void {
  for (const p of select ?? []) {
    if (!KNOWN_PROPERTIES.has(p) && defs.get(p)?.kind !== 'custom') {
      if (p.includes('/') || p.includes('(')) throw badRequest(`Parsing OData Select and Expand failed: '${p}' is not supported by ciam-emulator.`);
      throw badRequest(`Could not find a property named '${p}' on type 'microsoft.graph.user'.`);
    }
  }
}

export function projectUser(entity: Record<string, unknown>, select: string[] | undefined): Record<string, unknown> {
  const keys = select ?? DEFAULT_USER_PROPERTIES;
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = entity[k] ?? null;
  return out;
}

/** `{id}` or `{id}@{default domain}` (the UPN Graph made) → the object id. */
export function resolveUserKey(tenant: Tenant, key: string): string {
  const at = key.lastIndexOf('@');
  if (at < 0) return key.toLowerCase();
  return key.slice(at + 1).toLowerCase() === tenant.defaultDomain.toLowerCase() ? key.slice(0, at).toLowerCase() : '';
}

export function findUserOr404(d: Directory, tenant: Tenant, key: string): User {
  const id = resolveUserKey(tenant, key);
  const user = id ? d.users.findById(tenant.id, id) : undefined;
  if (!user) throw notFound(key);
  return user;
}

/** The filter clauses as SQL over `users u`. */
export function clausesToSql(clauses: Clause[], tenant: Tenant, defs: Map<string, AttributeDefinition>): UserCondition[] {
  const column = (property: string): string => {
    if (property === 'accountEnabled') return 'u.account_enabled';
    if (property === 'userType') return 'u.user_type';
    if (property === 'creationType') return 'u.creation_type';
    if (property === 'id') return 'u.id';
    const c = PROFILE_COLUMNS[property as keyof UserProfile];
    if (!c) throw new FilterError(`Filtering on property '${property}' is not supported by ciam-emulator.`);
    return `u.${c}`;
  };
  return clauses.map((c): UserCondition => {
    switch (c.kind) {
      case 'identity':
        // Only stored sign-in identities match: a UPN passed instead of the email finds nobody, as in Graph.
        return { sql: 'u.id IN (SELECT i.user_id FROM identities i WHERE i.tenant_id = u.tenant_id AND i.issuer = ? AND i.issuer_assigned_id = ?)', params: [c.issuer, c.issuerAssignedId], indexed: true };
      case 'startsWith':
        if (c.property === 'userPrincipalName') return { sql: "(u.id || '@' || ?) LIKE ? ESCAPE '\\'", params: [tenant.defaultDomain, `${likeEscape(c.value)}%`] };
        // a case-insensitive LIKE with a fixed prefix is a range on a NOCASE index (users_mail, users_display_name)
        return { sql: `${column(c.property)} LIKE ? ESCAPE '\\'`, params: [`${likeEscape(c.value)}%`], indexed: INDEXED.has(c.property) };
      case 'in':
        return { sql: `u.id IN (${c.values.map(() => 'lower(?)').join(', ')})`, params: c.values.map((v) => String(v)), indexed: true };
      case 'eq': {
        if (c.property.startsWith('extension_')) {
          const def = defs.get(c.property);
          if (def?.kind !== 'custom') throw new FilterError(`Property '${c.property}' does not exist on type 'microsoft.graph.user'.`);
          if (c.value === null) {
            return { sql: 'NOT EXISTS (SELECT 1 FROM user_extension_values v WHERE v.tenant_id = u.tenant_id AND v.user_id = u.id AND v.attribute_id = ?)', params: [c.property] };
          }
          return { sql: 'EXISTS (SELECT 1 FROM user_extension_values v WHERE v.tenant_id = u.tenant_id AND v.user_id = u.id AND v.attribute_id = ? AND v.value_json = ?)', params: [c.property, JSON.stringify(c.value)] };
        }
        if (c.property === 'accountEnabled') {
          if (typeof c.value !== 'boolean') throw new FilterError('accountEnabled compares with true or false.');
          return { sql: 'u.account_enabled = ?', params: [c.value ? 1 : 0] };
        }
        if (c.property === 'userPrincipalName') {
          if (typeof c.value !== 'string') throw new FilterError('userPrincipalName compares with a string.');
          return { sql: 'u.id = ?', params: [resolveUserKey(tenant, c.value) || '-'], indexed: true };
        }
        if (c.value === null) return { sql: `${column(c.property)} IS NULL`, params: [] };
        if (typeof c.value !== 'string') throw new FilterError(`${c.property} compares with a string.`);
        // object ids are stored lower-case: a plain comparison keeps the primary key usable
        if (c.property === 'id') return { sql: 'u.id = ?', params: [c.value.toLowerCase()], indexed: true };
        const col = column(c.property);
        // Graph compares strings case-insensitively.
        return { sql: `${col} = ? COLLATE NOCASE`, params: [c.value], indexed: INDEXED.has(c.property) };
      }
    }
  });
}

/** Properties with a NOCASE index on (tenant_id, column) (migrations 0001 and 0008). */
const INDEXED = new Set(['mail', 'displayName']);
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

export const PROFILE_KEYS = Object.keys(PROFILE_COLUMNS) as (keyof UserProfile)[];
const ACCEPTED_AND_IGNORED = new Set(['mailNickname', '@odata.type']);

export interface UserChanges {
  profile: Partial<Record<keyof UserProfile, string | null>>;
  accountEnabled?: boolean;
  identities?: Identity[];
  password?: { password: string; forceChange: boolean };
  passwordPolicies?: string | null;
  extensions: Record<string, AttributeValue | null>;
}

/** Reads a POST/PATCH body into changes, rejecting what the emulator does not store. */
export function readUserBody(body: unknown, tenant: Tenant, defs: Map<string, AttributeDefinition>): UserChanges {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.');
  const out: UserChanges = { profile: {}, extensions: {} };
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if ((PROFILE_KEYS as string[]).includes(k)) {
      if (v !== null && typeof v !== 'string') throw badRequest(`Invalid value for property '${k}': a string or null expected.`);
      const max = k === 'mail' ? 256 : defs.get(k)?.maxLength;
      if (typeof v === 'string' && max && v.length > max) throw badRequest(`Invalid value specified for property '${k}' of resource 'User'.`);
      out.profile[k as keyof UserProfile] = v;
    } else if (k === 'accountEnabled') {
      if (typeof v !== 'boolean') throw badRequest("Invalid value for property 'accountEnabled': true or false expected.");
      out.accountEnabled = v;
    } else if (k === 'identities') {
      out.identities = readIdentities(v, tenant);
    } else if (k === 'passwordProfile') {
      const p = v as { password?: unknown; forceChangePasswordNextSignIn?: unknown } | null;
      if (!p || typeof p !== 'object' || typeof p.password !== 'string') throw badRequest("Invalid value for property 'passwordProfile': 'password' is required.");
      if (passwordProblem(p.password)) {
        throw badRequest('The specified password does not comply with password complexity requirements. Please provide a different password.');
      }
      out.password = { password: p.password, forceChange: p.forceChangePasswordNextSignIn === true };
    } else if (k === 'passwordPolicies') {
      if (v !== null && (typeof v !== 'string' || !v.split(',').every((s) => ['DisablePasswordExpiration', 'DisableStrongPassword', 'None'].includes(s.trim())))) {
        throw badRequest("Invalid value for property 'passwordPolicies'.");
      }
      out.passwordPolicies = v as string | null;
    } else if (k.startsWith('extension_')) {
      const def = defs.get(k);
      if (def?.kind !== 'custom') throw badRequest(`Property '${k}' does not exist as a declared property or extension property.`);
      if (v !== null) {
        const ok = def.dataType === 'string' ? typeof v === 'string' && v.length <= 256
          : def.dataType === 'boolean' ? typeof v === 'boolean'
            : typeof v === 'number' && Number.isSafeInteger(v);
        if (!ok) throw badRequest(`Invalid value for extension property '${k}': ${def.dataType} expected.`);
      }
      out.extensions[k] = v as AttributeValue | null;
    } else if (k === 'userPrincipalName') {
      throw badRequest(`ciam-emulator makes every userPrincipalName {id}@${tenant.defaultDomain}; setting it is not supported.`);
    } else if (ACCEPTED_AND_IGNORED.has(k)) {
      continue;
    } else if (k === 'id' || k === 'createdDateTime' || k === 'creationType') {
      throw badRequest(`Property '${k}' is read-only and cannot be set.`);
    } else {
      throw badRequest(`Property '${k}' is not supported by ciam-emulator (or does not exist on type 'microsoft.graph.user').`);
    }
  }
  return out;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export function readIdentities(v: unknown, tenant: Tenant): Identity[] {
  if (!Array.isArray(v)) throw badRequest("Invalid value for property 'identities': an array expected.");
  const out: Identity[] = [];
  for (const i of v as Record<string, unknown>[]) {
    const { signInType, issuer, issuerAssignedId } = i ?? {};
    if (typeof signInType !== 'string' || typeof issuer !== 'string' || typeof issuerAssignedId !== 'string' || !issuer || !issuerAssignedId) {
      throw badRequest('Each identity needs signInType, issuer and issuerAssignedId.');
    }
    if (signInType === 'userPrincipalName') continue; // derived from the object id here
    if (issuer.length > 512 || issuerAssignedId.length > 64) throw badRequest('The identity issuer or issuerAssignedId is too long.');
    if (signInType === 'emailAddress' && !EMAIL.test(issuerAssignedId)) {
      throw badRequest(`The issuerAssignedId '${issuerAssignedId}' of an emailAddress identity must be a valid email address.`);
    }
    if (signInType === 'userName' && !USER_NAME.test(issuerAssignedId)) {
      throw badRequest(`The issuerAssignedId '${issuerAssignedId}' of a userName identity may contain only letters, digits, '-' and '_'.`);
    }
    if ((signInType === 'emailAddress' || signInType === 'userName') && issuer.toLowerCase() !== tenant.defaultDomain.toLowerCase()) {
      throw badRequest(`Local account identities must have the issuer '${tenant.defaultDomain}'.`);
    }
    if (signInType === 'federated') throw badRequest('Federated identities are not supported by ciam-emulator.');
    out.push({ signInType, issuer, issuerAssignedId });
  }
  return out;
}

export const conflict = (property: string) => new GraphError(400, 'Request_BadRequest', `Another object with the same value for property ${property} already exists.`,
  [{ target: property, code: 'ObjectConflict', message: `Another object with the same value for property ${property} already exists.` }]);
