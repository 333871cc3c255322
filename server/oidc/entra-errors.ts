import { errors } from 'oidc-provider';
import { AadError } from '../errors.js';
import type { Certificate } from '../directory/key-credentials.js';
import { assertionError, type AssertionFacts } from './client-assertions.js';

/**
 * oidc-provider says what went wrong in OAuth terms; Entra says it with an AADSTS code. This maps
 * one onto the other, using the error oidc-provider threw (its `error_detail` is more precise than
 * the body) and what we know about the client.
 */
export interface ProviderErrorLike {
  error?: string;
  message?: string;
  error_description?: string;
  error_detail?: string;
  cause?: unknown;
  aad?: AadError;
}

export interface MappingContext {
  route: 'token' | 'authorization' | 'other';
  tenantName: string;
  clientId: string | undefined;
  clientIsPublic: boolean | undefined;
  /** the request tried to authenticate with a client secret */
  sentSecret: boolean;
  /** the request's client_assertion (unverified), when it sent one */
  assertion?: AssertionFacts;
  /** the client's registered certificates (for assertion errors) */
  certificates?: readonly Certificate[];
  /** now, for AADSTS700024's "Current time" */
  nowMs?: number;
  redirectUri: string | undefined;
  /** the request's grant_type (oidc-provider's unsupported_grant_type text does not name it) */
  grantType?: string | undefined;
  responseType: string | undefined;
  /** the refresh token or code belonged to a SPA redirect URI */
  spa: boolean;
}

/** Wraps an AadError so oidc-provider treats it as an exposed OAuth error (not a 500). */
export function providerError(aad: AadError): Error {
  const e = new errors.CustomOIDCProviderError(aad.error, aad.message) as Error & { aad?: AadError; status: number; statusCode: number };
  e.aad = aad;
  e.status = aad.status;
  e.statusCode = aad.status;
  return e;
}

export function toAadError(err: ProviderErrorLike, m: MappingContext): AadError {
  if (err.aad) return err.aad;
  const error = err.error ?? err.message ?? 'server_error';
  const description = err.error_description ?? '';
  const detail = err.error_detail ?? (err.cause instanceof Error ? err.cause.message : '') ?? '';
  const missing = /missing required parameters? '?([\w ,]+?)'?$/.exec(description) ?? /missing required parameters? ([\w ,]+)$/.exec(description);

  switch (error) {
    case 'invalid_client':
      if (detail.startsWith('the provided authentication mechanism does not match')) {
        return m.clientIsPublic && (m.sentSecret || m.assertion) ? new AadError(700025) : new AadError(7000218);
      }
      if (detail === 'invalid secret provided') return new AadError(7000215, { clientId: m.clientId });
      if (m.assertion && m.clientId && m.clientIsPublic === false && detail !== 'client not found') {
        return assertionError(detail, m.clientId, m.certificates ?? [], m.assertion, m.nowMs ?? 0);
      }
      if (!m.clientId) return new AadError(900144, { name: 'client_id' });
      return new AadError(700016, { clientId: m.clientId, tenant: m.tenantName });
    case 'invalid_redirect_uri':
      return m.redirectUri ? new AadError(50011, { redirectUri: m.redirectUri, clientId: m.clientId }) : new AadError(900971);
    case 'login_required':
      return new AadError(50058);
    case 'interaction_required':
    case 'consent_required':
      return new AadError(65001, { clientId: m.clientId });
    case 'access_denied':
      // The user cancelled on the device page: the poll answers authorization_declined (Entra's device
      // code flow: "The end user denied the authorization request").
      if (m.route === 'token' && detail === '' && description === 'End-User aborted interaction') {
        return new AadError(70000, { detail: 'The user declined the sign-in request on the device code page.' }, { error: 'authorization_declined' });
      }
      return new AadError(65004);
    // Polling the device code grant (Entra: AuthorizationPending, CodeExpired)
    case 'authorization_pending':
      return new AadError(70016);
    case 'expired_token':
      return new AadError(70019);
    case 'invalid_scope':
    case 'invalid_target':
      return new AadError(70011, { detail: description });
    case 'unsupported_grant_type':
      // Entra names the grant type ("…unsupported grant type 'foo'."); oidc-provider's text
      // ("unsupported grant_type requested") does not, so it comes from the request.
      return new AadError(70003, { grantType: m.grantType ?? '' });
    case 'unsupported_response_type':
    case 'unauthorized_client':
      if (m.route === 'authorization') return new AadError(700054, { responseType: m.responseType });
      return new AadError(70003, { grantType: detail || description });
    case 'invalid_grant':
      return invalidGrant(detail, m);
    case 'invalid_request':
      if (missing?.[1]) return new AadError(900144, { name: missing[1].split(/[ ,]+/)[0] });
      if (detail === 'no client authentication mechanism provided' || description === 'no client authentication mechanism provided') {
        return m.clientId ? new AadError(7000218) : new AadError(900144, { name: 'client_id' });
      }
      return new AadError(9002313, { detail: description });
    default:
      return new AadError(9002313, { detail: description || error });
  }
}

function invalidGrant(detail: string, m: MappingContext): AadError {
  if (detail === 'authorization code is expired') return new AadError(70008);
  if (detail === 'authorization code already consumed') return new AadError(54005);
  if (detail.includes('code_verifier')) return new AadError(501481);
  if (detail === 'refresh token is expired') return m.spa ? new AadError(700084) : new AadError(700082);
  if (detail === 'authorization code redirect_uri mismatch') {
    return new AadError(70000, { detail: 'The redirect URI does not match the one the authorization code was issued for.' });
  }
  // Entra: bad_verification_code, "The device_code sent to the /token endpoint wasn't recognized".
  if (detail === 'device code not found') return new AadError(70018);
  if (detail === 'client mismatch') return new AadError(70000, { detail: 'The grant was issued to a different client.' });
  // Entra answers a malformed, unknown or revoked code or refresh token with AADSTS9002313 as
  // invalid_grant (a truncated code, fidelity-gaps.md S5/D1), not invalid_request: msal-browser falls
  // back to interaction only on invalid_grant.
  if (detail.endsWith('not found')) return new AadError(9002313, { detail: 'The grant is malformed, unknown or was revoked.' }, { error: 'invalid_grant' });
  return new AadError(70000, { detail });
}
