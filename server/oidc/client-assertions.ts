import { compactVerify, decodeJwt, decodeProtectedHeader } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import als from 'oidc-provider/lib/helpers/als.js';
import type { Clock } from '../clock.js';
import type { Directory, Tenant } from '../directory/index.js';
import { thumbprintHex, type Certificate } from '../directory/key-credentials.js';
import { AadError } from '../errors.js';
import { providerError } from './entra-errors.js';

/**
 * Certificate credentials as Entra checks them (learn.microsoft.com "Microsoft identity platform
 * application authentication certificate credentials"): a confidential app authenticates at the
 * token endpoint with a client secret or a `client_assertion` (private_key_jwt) signed by one of its
 * registered certificates, on any request. oidc-provider verifies the assertion's signature, `iss`,
 * `aud` and times against the app's certificates (./clients.ts); this file adds what Entra does
 * beyond that and says what went wrong with Entra's AADSTS codes.
 */

export interface AssertionFacts {
  /** the thumbprint the header names, upper-case hex, and which hash it is */
  thumbprint?: { hex: string; sha256: boolean };
  nbf?: number;
  exp?: number;
  /** the client the assertion is for (its `sub`; the client_id when the form has none) */
  sub?: string;
}

/** What the request's client_assertion says about itself (unverified), for error messages. */
export function assertionFacts(assertion: unknown): AssertionFacts | undefined {
  if (typeof assertion !== 'string') return undefined;
  try {
    const header = decodeProtectedHeader(assertion);
    const payload = decodeJwt(assertion);
    const s256 = thumbprintHex(header['x5t#S256']);
    const s1 = thumbprintHex(header.x5t) ?? thumbprintHex(header.kid);
    return {
      ...(s256 ? { thumbprint: { hex: s256, sha256: true } } : s1 ? { thumbprint: { hex: s1, sha256: false } } : {}),
      ...(typeof payload.nbf === 'number' ? { nbf: payload.nbf } : {}),
      ...(typeof payload.exp === 'number' ? { exp: payload.exp } : {}),
      ...(typeof payload.sub === 'string' ? { sub: payload.sub } : {}),
    };
  } catch {
    return {};
  }
}

/** The registered certificate the header names, by its SHA-256 or SHA-1 thumbprint. */
export function namedCertificate(certificates: readonly Certificate[], facts: AssertionFacts): Certificate | undefined {
  const t = facts.thumbprint;
  if (!t) return undefined;
  return certificates.find((c) => (t.sha256 ? c.thumbprintSha256 : c.thumbprintSha1) === t.hex);
}

/** Entra's "Found key" window: `Start=10/10/2019 00:00:00, End=10/10/2020 00:00:00` (US format, UTC). */
function window(c: Certificate): string {
  const f = (ms: number) => {
    const d = new Date(ms);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  };
  return `Start=${f(c.startAt)}, End=${f(c.endAt)}`;
}

/** Entra's times in AADSTS700024: `2024-10-02T22:05:03.6755165Z`. */
function ticks(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

const GRAPH_HINT = (appId: string) => `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${appId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${appId}'`;

/** AADSTS700027 "not registered": the header names no certificate of the app (or names none). */
export function keyNotFound(appId: string, facts: AssertionFacts): AadError {
  const thumbprint = facts.thumbprint ? `Thumbprint of key used by client: '${facts.thumbprint.hex}', ` : '';
  return new AadError(700027, { detail: `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., ${thumbprint}${GRAPH_HINT(appId)}]` });
}

/** AADSTS700027 "invalid signature": the named certificate is registered but did not sign, or is not current. */
export function invalidSignature(appId: string, c: Certificate, reason: string): AadError {
  return new AadError(700027, { detail: `Client assertion contains an invalid signature. [Reason - ${reason}, Thumbprint of key used by client: '${c.thumbprintSha1}', Found key '${window(c)}', ${GRAPH_HINT(appId)}]` });
}

/** AADSTS700024, with Entra's times (an assertion without `nbf` is "valid from" the epoch). */
export function outsideTimeRange(facts: AssertionFacts, nowMs: number): AadError {
  return new AadError(700024, { detail: `Current time: ${ticks(nowMs)}, assertion valid from ${ticks((facts.nbf ?? 0) * 1000)}, expiry time of assertion ${ticks((facts.exp ?? 0) * 1000)}.` });
}

/**
 * oidc-provider's verdict on an assertion it refused, in Entra's terms. Entra first finds the key
 * by the header's thumbprint (700027 "not registered"), then checks the signature (700027 "invalid
 * signature") and the times (700024); the audience must be the token endpoint (50012).
 */
export function assertionError(detail: string, appId: string, certificates: readonly Certificate[], facts: AssertionFacts, nowMs: number): AadError {
  const named = namedCertificate(certificates, facts);
  if (!named) return keyNotFound(appId, facts);
  if (detail === 'signature verification failed' || detail === 'no applicable key found in the JSON Web Key Set') {
    return invalidSignature(appId, named, 'The provided signature value did not match the expected signature value.');
  }
  if (detail === 'jwt expired' || detail === 'jwt not active yet' || detail.startsWith('expiration must be specified')) return outsideTimeRange(facts, nowMs);
  if (detail.startsWith('audience (aud)') || detail.startsWith('list of audience') || detail.startsWith('aud (JWT audience)')) {
    return new AadError(50012, { detail: 'Client assertion audience claim does not match Realm issuer.' });
  }
  if (detail.startsWith('iss (JWT issuer)') || detail.startsWith('sub (JWT subject)')) {
    return new AadError(50012, { detail: 'Client assertion issuer and subject must be the client id.' });
  }
  if (detail === 'alg mismatch') return invalidSignature(appId, named, `The signing algorithm is not supported (RS256 and PS256 are).`);
  return new AadError(700027, { detail: `Client assertion failed signature validation. ${detail}`.trim() });
}

/** Host names and tenant names compare without regard to case, as Entra compares them. */
class CaseInsensitiveSet extends Set<string> {
  constructor(values: Iterable<string>) {
    super([...values].map((v) => v.toLowerCase()));
  }

  override has(value: string): boolean {
    return typeof value === 'string' && super.has(value.toLowerCase());
  }
}

export interface ClientAssertionDeps {
  directory: Directory;
  tenant: Tenant;
  clock: Clock;
}

/**
 * oidc-provider's `assertJwtClientAuthClaimsAndHeader`, run once the signature verified with one of
 * the app's certificates: Entra selects the key by the header's thumbprint, so the certificate it
 * names must be registered and must itself verify the assertion, and must be within its
 * startDateTime / endDateTime.
 */
export function createAssertionCheck({ directory, tenant, clock }: ClientAssertionDeps) {
  return async function assertJwtClientAuthClaimsAndHeader(ctx: KoaContextWithOIDC, _claims: unknown, _header: unknown, client: { clientId: string }): Promise<void> {
    const assertion = String((ctx.oidc.params as Record<string, unknown>).client_assertion);
    const facts = assertionFacts(assertion) ?? {};
    const named = namedCertificate(directory.applications.certificates(tenant.id, client.clientId), facts);
    if (!named) throw providerError(keyNotFound(client.clientId, facts));
    try {
      await compactVerify(assertion, named.publicKey, { algorithms: ['RS256', 'PS256'] });
    } catch {
      throw providerError(invalidSignature(client.clientId, named, 'The provided signature value did not match the expected signature value.'));
    }
    const now = clock.nowMs();
    if (now < named.startAt || now >= named.endAt) {
      throw providerError(invalidSignature(client.clientId, named, now >= named.endAt ? 'The key used is expired.' : 'The key used is not yet valid.'));
    }
  };
}

/**
 * Lets one client authenticate with a secret or an assertion, as Entra does: oidc-provider accepts
 * only the registered method (client_secret_post, ./clients.ts), so for a request carrying a
 * client_assertion the client reports private_key_jwt. The request is oidc-provider's own async
 * context (the same one its client-id-metadata support reads).
 */
export function installClientAssertions(provider: Provider, { tenant, publicUrl }: { tenant: Tenant; publicUrl: string }): void {
  // Entra wants `aud` to be the token endpoint the assertion is sent to, and accepts it under any
  // name of the tenant: msal-node uses its configured authority's form
  // (https://<host>/contoso.onmicrosoft.com/oauth2/v2.0/token), not the GUID of the discovery document.
  const tokenUrls = [tenant.id, tenant.subdomain, tenant.defaultDomain].map((t) => `${publicUrl}/${t}/oauth2/v2.0/token`.toLowerCase());
  const Context = provider.OIDCContext as unknown as { prototype: { clientJwtAuthExpectedAudience: () => Set<string> } };
  const expected = Context.prototype.clientJwtAuthExpectedAudience;
  Context.prototype.clientJwtAuthExpectedAudience = function clientJwtAuthExpectedAudience() {
    return new CaseInsensitiveSet([...expected.call(this), ...tokenUrls]);
  };

  const Client = provider.Client as unknown as { prototype: object };
  Object.defineProperty(Client.prototype, 'clientAuthMethod', {
    configurable: true,
    get(this: { tokenEndpointAuthMethod: string }) {
      const registered = this.tokenEndpointAuthMethod;
      if (registered !== 'client_secret_post') return registered;
      const ctx = als.getStore() as KoaContextWithOIDC | undefined;
      const params = ctx?.oidc?.params as Record<string, unknown> | undefined;
      return params?.client_assertion !== undefined ? 'private_key_jwt' : registered;
    },
  });
  // Entra accepts the same assertion again while it is valid, and msal-node relies on it: it
  // caches its signed assertion and sends it on every token request until shortly before `exp`.
  // (Client assertions are the only replay-checked JWTs here: DPoP and attestation are off.)
  (provider.ReplayDetection as unknown as { unique: () => Promise<boolean> }).unique = async () => true;
}
