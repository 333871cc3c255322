import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { GRAPH_APP_ID, OIDC_SCOPES, resourceIndicator } from './resources.js';

/**
 * Entra answers a sign-in that asks only OIDC scopes with a Microsoft Graph access token (a JWT for
 * Graph with `scp` "openid profile User.Read email"), and the response's `scope` says so
 * (fidelity-gaps.md D3, D25; MSAL's AUTHENTICATION_RESULT fixture). oidc-provider issues an opaque
 * userinfo token there instead; this swaps it for a Graph JWT after the fact.
 *
 * The Graph JWT's `uti` is the opaque token's value, so the userinfo endpoint (Entra's accepts the
 * Graph token) can still answer: a bearer that is one of our Graph JWTs is traded back for the opaque
 * token it names. A JWT naming no live opaque token of the same user and app is left as is, and
 * oidc-provider refuses it (401 invalid_token).
 */

/** The order Entra lists them in the response's `scope` ("openid profile User.Read email"). */
const ENTRA_ORDER = ['openid', 'profile', 'User.Read', 'email'];

const GRAPH_RESOURCE_INFO = {
  scope: 'openid profile email User.Read',
  audience: resourceIndicator(GRAPH_APP_ID),
  accessTokenFormat: 'jwt',
  jwt: { sign: { alg: 'RS256' } },
} as const;

/** After a successful token response: replace an opaque userinfo token with a Graph JWT. */
export async function graphTokenForOidcOnly(provider: Provider, ctx: KoaContextWithOIDC): Promise<void> {
  const body = ctx.body as Record<string, unknown>;
  const opaque = body.access_token;
  const accountId = ctx.oidc.entities?.Account?.accountId;
  const client = ctx.oidc.client;
  if (typeof opaque !== 'string' || opaque.includes('.') || !accountId || !client) return;
  const granted = String(body.scope ?? '').split(' ').filter((s) => OIDC_SCOPES.has(s) && s !== 'offline_access');
  const scope = ENTRA_ORDER.filter((s) => s === 'User.Read' || granted.includes(s)).join(' ');
  const { ResourceServer, AccessToken } = provider as unknown as {
    ResourceServer: new (identifier: string, info: typeof GRAPH_RESOURCE_INFO) => unknown;
    AccessToken: new (payload: Record<string, unknown>) => { format?: string; save(): Promise<string> };
  };
  const at = new AccessToken({
    jti: opaque,
    accountId,
    client,
    scope,
    resourceServer: new ResourceServer(resourceIndicator(GRAPH_APP_ID), GRAPH_RESOURCE_INFO),
    ...(typeof body.expires_in === 'number' ? { expiresIn: body.expires_in } : {}),
  });
  // oidc-provider picks the format when it draws the id; this token's id is given, so say it.
  at.format = 'jwt';
  body.access_token = await at.save();
  body.scope = scope;
}

/**
 * Before userinfo: a Graph JWT we issued in place of an opaque token (graphTokenForOidcOnly) is
 * traded for that opaque token, which oidc-provider's userinfo understands.
 */
export async function acceptGraphTokenAtUserinfo(provider: Provider, ctx: KoaContextWithOIDC): Promise<void> {
  const m = /^Bearer\s+([\w-]+)\.([\w-]+)\.([\w-]+)$/i.exec(ctx.get('authorization'));
  if (!m) return;
  let payload: { aud?: unknown; uti?: unknown; oid?: unknown; azp?: unknown };
  try {
    payload = JSON.parse(Buffer.from(m[2]!, 'base64url').toString('utf8')) as typeof payload;
  } catch {
    return;
  }
  if (payload.aud !== GRAPH_APP_ID || typeof payload.uti !== 'string') return;
  const token = await (provider.AccessToken as unknown as { find(v: string): Promise<{ accountId?: string; clientId?: string } | undefined> }).find(payload.uti);
  // The opaque value is a secret only we and the token's holder know; it must belong to the same user and app.
  if (!token || token.accountId !== payload.oid || token.clientId !== payload.azp) return;
  ctx.request.headers.authorization = `Bearer ${payload.uti}`;
}
