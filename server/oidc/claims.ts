import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Account, KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Application, Directory, Tenant, User } from '../directory/index.js';
import type { Clock } from '../clock.js';
import { appIdFromIndicator, grantedOn, type ResourceResolver } from './resources.js';
import { servicePrincipalId } from '../directory/applications.js';
import { BUILT_IN_ATTRIBUTES } from '../directory/attributes.js';
import { AadError } from '../errors.js';
import { providerError } from './entra-errors.js';

/**
 * Token claims shaped like Entra's v2 tokens
 * (learn.microsoft.com/entra/identity-platform/id-token-claims-reference, access-token-claims-reference).
 */
export interface ClaimsDeps {
  directory: Directory;
  tenant: Tenant;
  clock: Clock;
  resources: ResourceResolver;
  issuer: string;
}

/** Opaque per-token values Entra puts in every token (`aio`, `rh`, `uti`). */
const opaque = (bytes: number) => randomBytes(bytes).toString('base64url');

/** The name a user signs in with: their email identity, else the UPN. */
export function preferredUsername(user: User, tenant: Tenant): string {
  const email = user.identities.find((i) => i.signInType === 'emailAddress') ?? user.identities[0];
  return email?.issuerAssignedId ?? `${user.id}@${tenant.defaultDomain}`;
}

/**
 * Entra's `login_hint` claim is opaque; apps send it back as `login_hint`/`logout_hint`. Ours is
 * base64url JSON naming the user, so we can read it back.
 */
export function encodeLoginHint(user: User, tenant: Tenant): string {
  return Buffer.from(JSON.stringify({ oid: user.id, tid: tenant.id, upn: preferredUsername(user, tenant) })).toString('base64url');
}

export function decodeLoginHint(hint: string): { oid: string; upn: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(hint, 'base64url').toString('utf8')) as { oid?: unknown; upn?: unknown };
    return typeof v.oid === 'string' && typeof v.upn === 'string' ? { oid: v.oid, upn: v.upn } : undefined;
  } catch {
    return undefined;
  }
}

/** Entra's `sub` is pairwise: the same user has a different, stable `sub` in each app. */
export function pairwiseSubject(tenantId: string, accountId: string, clientId: string): string {
  return createHash('sha256').update(`${tenantId}|${accountId}|${clientId}`).digest('base64url');
}

/**
 * The claims an app maps from user attributes (Enterprise app → Attributes & Claims in Entra): a
 * built-in attribute from the user, a custom one from its extension values. Not in tokens otherwise.
 */
export function mappedClaims(directory: Directory, tenantId: string, clientId: string | undefined, user: User): Record<string, unknown> {
  const app = clientId ? directory.applications.findByAppId(tenantId, clientId) : undefined;
  if (!app?.claimsMapping.length) return {};
  const extensions = directory.attributes.extensionValues(tenantId, user.id);
  const out: Record<string, unknown> = {};
  for (const { claim, source } of app.claimsMapping) {
    const builtIn = BUILT_IN_ATTRIBUTES[source];
    const value = builtIn ? user[builtIn.column] : extensions[source];
    if (value !== undefined && value !== null) out[claim] = value;
  }
  return out;
}

/** Every claim name any app of the tenant maps, so oidc-provider lets them into ID tokens. */
export function mappedClaimNames(directory: Directory, tenantId: string): string[] {
  // `groups` (added for Microsoft Graph groups) is always allowed: only apps whose
  // groupMembershipClaims asks for it get it (groupsClaim below), and that can change at run time.
  return [...new Set([...directory.applications.list(tenantId).flatMap((a) => a.claimsMapping.map((m) => m.claim)), 'groups', 'hasgroups'])];
}

/** Above this many groups a JWT carries the groups overage claim instead (learn.microsoft.com "access token claims reference"). */
export const JWT_GROUPS_LIMIT = 200;

/** From this many groups an id_token sent in a URL fragment (implicit flow) carries `hasgroups` instead. */
export const IMPLICIT_GROUPS_LIMIT = 6;

export type GroupsClaim = {
  groups?: string[];
  hasgroups?: true;
  _claim_names?: { groups: string };
  _claim_sources?: { src1: { endpoint: string } };
};

/**
 * Entra's `groups` claim: the object ids of the user's groups, when the app's groupMembershipClaims
 * is 'SecurityGroup' or 'All' (the emulator's groups are all security groups). A user in no group
 * gets no claim ("claims are present only if a value exists", not `groups: []`); one in more than
 * 200 gets the overage claim pointing at Graph's getMemberObjects, as the claims references document.
 */
export function groupsClaim(directory: Directory, tenantId: string, clientId: string | undefined, userId: string, implicit = false): GroupsClaim {
  if (!clientId) return {};
  const setting = directory.groups.groupMembershipClaims(tenantId, clientId);
  if (setting !== 'SecurityGroup' && setting !== 'All') return {};
  const groups = directory.groups.memberOf(tenantId, userId).map((g) => g.id);
  if (groups.length === 0) return {};
  // The id-token claims reference: `hasgroups` replaces `groups` in implicit-flow JWTs when the full
  // claim would make the URL fragment too long ("currently six or more groups").
  if (implicit && groups.length >= IMPLICIT_GROUPS_LIMIT) return { hasgroups: true };
  if (groups.length > JWT_GROUPS_LIMIT) {
    return {
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: `https://graph.microsoft.com/v1.0/users/${userId}/getMemberObjects` } },
    };
  }
  return { groups };
}

/**
 * Entra's `sid` is "String, a GUID": one id for the browser session, the same in every app's
 * id_token (front-channel logout sends it to each app). oidc-provider draws a nanoid per app; this
 * gives a session's apps one GUID instead, the first app's, so logout's per-app lookups still work.
 */
export function installGuidSessionIds(provider: Provider): void {
  const Session = provider.Session as unknown as { prototype: { authorizations?: Record<string, { sid?: string }>; sidFor(clientId: string, value?: string): string | undefined; ensureClientContainer(clientId: string): void } };
  Session.prototype.ensureClientContainer = function ensureClientContainer(clientId: string) {
    if (this.sidFor(clientId)) return;
    const shared = Object.values(this.authorizations ?? {}).map((a) => a.sid).find((sid) => sid && /^[0-9a-f-]{36}$/.test(sid));
    this.sidFor(clientId, shared ?? randomUUID());
  };
}

/** An id_token the authorization endpoint sends back itself (implicit or hybrid response types). */
function isImplicit(ctx: KoaContextWithOIDC | undefined): boolean {
  const route = ctx?.oidc?.route;
  const responseType = String(ctx?.oidc?.params?.response_type ?? '');
  return (route === 'authorization' || route === 'resume') && /\b(id_token|token)\b/.test(responseType);
}

export function createFindAccount({ directory, tenant, clock }: ClaimsDeps) {
  return async function findAccount(ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    const user = directory.users.findById(tenant.id, sub);
    const session = ctx?.oidc?.session as { accountId?: string; loginTs?: number } | undefined;
    // Graph's revokeSignInSessions: sessions and refresh tokens from before users.sessions_valid_from stop working.
    const refresh = (ctx?.oidc?.entities as { RefreshToken?: { iat?: number } } | undefined)?.RefreshToken;
    const refreshRevoked = !!user?.sessionsValidFrom && refresh?.iat !== undefined && refresh.iat * 1000 < user.sessionsValidFrom;
    const revoked = refreshRevoked || (!!user?.sessionsValidFrom
      && session?.accountId === sub && session.loginTs !== undefined && session.loginTs * 1000 < user.sessionsValidFrom);
    // At the token endpoint Entra says why a refresh token stopped working: AADSTS50173 (revoked) or
    // AADSTS50057 (disabled), both invalid_grant.
    if (ctx?.oidc?.route === 'token' && refresh) {
      if (user && refreshRevoked) throw providerError(new AadError(50173));
      if (user && !user.accountEnabled) throw providerError(new AadError(50057));
    }
    // A blocked, deleted or revoked user keeps no session and cannot refresh (Entra: AADSTS50057 / 50173).
    if (!user || !user.accountEnabled || revoked) {
      // Forget the browser's sign-in so /authorize shows the sign-in page (which then says AADSTS50057),
      // or answers login_required to prompt=none, instead of carrying on with a session for nobody.
      // (oidc-provider's session proxy refuses an empty accountId, so the property is deleted.)
      if (session?.accountId === sub) {
        delete session.accountId;
        delete session.loginTs;
        (session as { touched?: boolean }).touched = true;
      }
      return undefined;
    }
    return {
      accountId: user.id,
      async claims() {
        const email = user.mail ?? user.identities.find((i) => i.signInType === 'emailAddress')?.issuerAssignedId;
        return {
          sub: user.id,
          oid: user.id,
          tid: tenant.id,
          ver: '2.0',
          nbf: clock.nowSeconds(),
          aio: opaque(48),
          rh: `0.${opaque(40)}`,
          uti: opaque(16),
          // A claim without a value is left out (id-token claims reference), never an empty string.
          name: user.displayName || undefined,
          preferred_username: preferredUsername(user, tenant),
          email: email || undefined,
          login_hint: encodeLoginHint(user, tenant),
          ...mappedClaims(directory, tenant.id, ctx?.oidc?.client?.clientId, user),
          ...groupsClaim(directory, tenant.id, ctx?.oidc?.client?.clientId, user.id, isImplicit(ctx)),
        };
      },
    };
  };
}

type JwtStructure = { header?: Record<string, unknown>; payload: Record<string, unknown> };
interface TokenLike {
  kind: string;
  accountId?: string;
  clientId?: string;
  scope?: string;
  resourceServer?: { identifier?: () => string; audience?: string };
  extra?: Record<string, unknown>;
}

/**
 * Turns oidc-provider's JWT access token into Entra's: `typ: JWT`, `scp` with short names, `azp`,
 * `azpacr`, `oid`, `tid`, `uti`, `idtyp`, and `roles` for app-only tokens. A v1 API gets Entra's v1
 * shape (`iss` sts.windows.net, `appid`, `appidacr`).
 */
export function createAccessTokenCustomizer({ directory, tenant, resources }: ClaimsDeps) {
  return async function customizeJwt(ctx: unknown, token: TokenLike, jwt: JwtStructure): Promise<void> {
    const p = jwt.payload;
    jwt.header = { typ: 'JWT' };
    const clientId = String(p.client_id);
    const client = directory.applications.findByAppId(tenant.id, clientId);
    const resourceAppId = appIdFromIndicator(String(p.aud));
    const resource = resources.byAppId(resourceAppId);
    const v1 = resource?.accessTokenVersion === 1;
    // Entra's azpacr/appidacr: 0 public client, 1 client secret, 2 certificate (client assertion).
    const authMethod = (ctx as { oidc?: { client?: { clientAuthMethod?: string } } } | undefined)?.oidc?.client?.clientAuthMethod;
    const acr = authMethod === 'private_key_jwt' ? '2' : client?.isConfidential ? '1' : '0';

    p.aud = v1 ? (resource?.identifierUris[0] ?? `api://${resourceAppId}`) : resourceAppId;
    if (v1) {
      p.iss = `https://sts.windows.net/${tenant.id}/`;
      p.appid = clientId;
      p.appidacr = acr;
    } else {
      p.azp = clientId;
      p.azpacr = acr;
    }
    p.ver = v1 ? '1.0' : '2.0';
    p.tid = tenant.id;
    p.nbf = p.iat;
    p.uti = p.jti;
    // Opaque to every client; derived from the token's random id rather than drawing more randomness
    // per token (the profile showed the extra random draws).
    p.aio = `${String(p.jti)}${String(p.iat)}`;
    p.rh = `0.${String(p.jti).split('').reverse().join('')}`;
    delete p.jti;
    delete p.client_id;

    if (token.kind === 'ClientCredentials') {
      // App-only token: the app's service principal is the subject; `roles` are the app
      // permissions an admin granted it on this resource.
      const spId = client ? servicePrincipalId(client) : clientId;
      p.oid = spId;
      p.sub = spId;
      p.idtyp = 'app';
      const { roles } = grantedOn(client, resourceAppId);
      if (roles.length) p.roles = roles;
      delete p.scope;
      return;
    }

    const user = token.accountId ? directory.users.findById(tenant.id, token.accountId) : undefined;
    p.oid = token.accountId;
    p.idtyp = 'user';
    if (user) {
      if (user.displayName) p.name = user.displayName;
      p.preferred_username = preferredUsername(user, tenant);
      Object.assign(p, groupsClaim(directory, tenant.id, clientId, user.id));
    }
    const requested = String(p.scope ?? '').split(' ').filter(Boolean);
    const names = requested.map((s) => s.slice(s.lastIndexOf('/') + 1));
    // `.default` asks for every delegated permission the app was granted on the resource.
    const scp = names.includes('.default') ? grantedOn(client, resourceAppId).scopes : names;
    p.scp = [...new Set(scp)].join(' ');
    delete p.scope;
  };
}

export type { Application };
