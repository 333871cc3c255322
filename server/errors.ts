/**
 * One error type for every surface. An AadError carries the AADSTS code of the Entra behaviour it
 * emulates; the catalog says which OAuth `error`, HTTP status and message Entra answers with. The
 * three surfaces (OAuth JSON, HTML page, later Graph OData) each format it in one handler.
 * Messages are Entra's own wording (learn.microsoft.com/entra/identity-platform/reference-error-codes).
 */
export type Params = Record<string, string | number | undefined>;

interface CatalogEntry {
  error: string;
  status: number;
  message: (p: Params) => string;
  suberror?: string;
}

const q = (v: unknown) => `'${String(v ?? '')}'`;

export const AADSTS = {
  // tenant and client
  90002: { error: 'invalid_tenant', status: 400, message: (p) => `Tenant ${q(p.tenant)} not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.` },
  700016: { error: 'unauthorized_client', status: 400, message: (p) => `Application with identifier ${q(p.clientId)} was not found in the directory ${q(p.tenant)}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.` },
  50011: { error: 'invalid_request', status: 400, message: (p) => `The redirect URI ${q(p.redirectUri)} specified in the request does not match the redirect URIs configured for the application ${q(p.clientId)}. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.` },
  900971: { error: 'invalid_request', status: 400, message: () => 'No reply address provided.' },
  7000215: { error: 'invalid_client', status: 401, message: (p) => `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app ${q(p.clientId)}.` },
  7000218: { error: 'invalid_client', status: 401, message: () => "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." },
  700025: { error: 'invalid_client', status: 401, message: () => "Client is public so neither 'client_assertion' nor 'client_secret' should be presented." },
  7000222: { error: 'invalid_client', status: 401, message: (p) => `The provided client secret keys for app ${q(p.clientId)} are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.` },
  // Certificate credentials (client_assertion): `detail` is the variant Entra answers with
  // (server/oidc/client-assertions.ts builds it: key not registered, invalid signature, key expired).
  700027: { error: 'invalid_client', status: 401, message: (p) => String(p.detail ?? 'Client assertion failed signature validation.') },
  700024: { error: 'invalid_client', status: 401, message: (p) => `Client assertion is not within its valid time range.${p.detail ? ` ${p.detail}` : ''} Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .` },
  50012: { error: 'invalid_client', status: 401, message: (p) => String(p.detail ?? 'Authentication failed.') },
  700054: { error: 'unsupported_response_type', status: 400, message: (p) => `response_type ${q(p.responseType)} is not enabled for the application.` },
  // scopes and resources
  70011: { error: 'invalid_scope', status: 400, message: (p) => `The provided value for the input parameter 'scope' is not valid. ${p.detail ?? ''}`.trim() },
  // Client credentials take only `<resource>/.default` (learn.microsoft.com "client credentials flow"):
  // Entra answers any other scope, OIDC scopes included, with 1002012, not 70011.
  1002012: { error: 'invalid_scope', status: 400, message: (p) => `The provided value for scope ${p.scope ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).` },
  700022: { error: 'invalid_scope', status: 400, message: (p) => `The provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${p.scope ?? ''} is not valid.` },
  500011: { error: 'invalid_resource', status: 400, message: (p) => `The resource principal named ${p.resource ?? ''} was not found in the tenant named ${p.tenant ?? ''}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.` },
  65001: { error: 'invalid_grant', suberror: 'consent_required', status: 400, message: (p) => `The user or administrator has not consented to use the application with ID ${q(p.clientId)}. Send an interactive authorization request for this user and resource.` },
  // credentials and accounts
  50126: { error: 'invalid_grant', status: 400, message: () => 'Error validating credentials due to invalid username or password.' },
  // `tenant` is the tenant id: Entra's text names the directory by its GUID (fidelity-gaps.md S4).
  50034: { error: 'invalid_grant', status: 400, message: (p) => `The user account {EUII Hidden} does not exist in the ${p.tenant ?? ''} directory. To sign into this application, the account must be added to the directory.` },
  50053: { error: 'invalid_grant', status: 400, message: () => "Your account is locked because you've tried to sign in too many times with an incorrect user ID or password." },
  50057: { error: 'invalid_grant', status: 400, message: () => 'The user account is disabled.' },
  50055: { error: 'invalid_grant', status: 400, message: () => 'The password is expired.' },
  50058: { error: 'login_required', status: 400, message: () => 'A silent sign-in request was sent but no user is signed in. The cookies used to represent the user\'s session were not sent in the request to Azure AD. This can happen if the user is using Internet Explorer or Edge, and the web app sending the silent sign-in request is in different IE security zone than the Azure AD endpoint (login.microsoftonline.com).' },
  50076: { error: 'invalid_grant', suberror: 'basic_action', status: 400, message: () => 'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.' },
  50089: { error: 'invalid_grant', status: 400, message: () => 'Authentication failed due to flow token expired. Expected - auth codes, refresh tokens, and sessions expire over time or are revoked by the user or an admin. The app will request a new login from the user.' },
  65004: { error: 'access_denied', status: 400, message: () => 'User declined to consent to access the app.' },
  // codes and tokens
  70000: { error: 'invalid_grant', status: 400, message: (p) => `The request was denied because one or more grants are invalid. ${p.detail ?? ''}`.trim() },
  70008: { error: 'invalid_grant', status: 400, message: () => 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.' },
  // The device authorization grant (learn.microsoft.com "OAuth 2.0 device authorization grant flow" and
  // the error code reference: AuthorizationPending, BadVerificationCode, CodeExpired).
  70016: { error: 'authorization_pending', status: 400, message: () => 'The provided request has not yet been authorized by the user. The user must input their code.' },
  70018: { error: 'bad_verification_code', status: 400, message: () => 'Invalid verification code due to User typing in wrong user code for device code flow. Authorization is not approved.' },
  70019: { error: 'expired_token', status: 400, message: () => 'Verification code expired. Have the user retry the sign-in.' },
  54005: { error: 'invalid_grant', status: 400, message: () => 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.' },
  // Entra's throttling (learn.microsoft.com "Looping clients will be interrupted", reference-error-codes
  // LoopDetected): the wording is the one Entra answers with; `detail` says which emulated rule fired.
  50196: { error: 'invalid_grant', status: 400, message: (p) => `The server terminated an operation because it encountered a client request loop. Please contact your app vendor. ${p.detail ?? ''}`.trim() },
  501481: { error: 'invalid_grant', status: 400, message: () => 'The Code_Verifier does not match the code_challenge supplied in the authorization request.' },
  700082: { error: 'invalid_grant', status: 400, message: () => 'The refresh token has expired due to inactivity. The token was issued and was inactive for the maximum allowed lifetime.' },
  700084: { error: 'invalid_grant', status: 400, message: (p) => `The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on ${p.issuedOn ?? ''}.` },
  50173: { error: 'invalid_grant', status: 400, message: () => 'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.' },
  // On-behalf-of (server/oidc/obo-grant.ts): the user's access token (`assertion`) Entra checks
  // before it issues one for the downstream API. Wording as Entra answers (issues on MSAL repos).
  50027: { error: 'invalid_request', status: 400, message: (p) => `JWT token is invalid or malformed.${p.detail ? ` ${String(p.detail)}` : ''}` },
  50013: { error: 'invalid_grant', status: 400, message: (p) => `Assertion failed signature validation. [Reason - ${p.reason ?? 'The key was not found.'}]` },
  500131: { error: 'invalid_grant', status: 400, message: (p) => `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was ${q(p.audience)} and the expected audience is ${q(p.clientId)} or one of the Application Uris of this application with App ID ${q(p.clientId)}(${p.appName ?? ''}). The downstream client must request a token for the expected audience (the application that made the OBO request) and this application should use that token as the assertion.` },
  500133: { error: 'invalid_grant', status: 400, message: (p) => `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${p.now ?? ''}, expiry time of assertion ${p.expiry ?? ''}.` },
  9002325: { error: 'invalid_request', status: 400, message: () => 'Proof Key for Code Exchange is required for cross-origin authorization code redemption.' },
  9002326: { error: 'invalid_request', status: 400, message: (p) => `Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: ${q(p.origin)}.` },
  // malformed requests
  900144: { error: 'invalid_request', status: 400, message: (p) => `The request body must contain the following parameter: ${q(p.name)}.` },
  9002313: { error: 'invalid_request', status: 400, message: (p) => `Invalid request. Request is malformed or invalid. ${p.detail ?? ''}`.trim() },
  90023: { error: 'invalid_request', status: 400, message: (p) => `${p.detail ?? 'The request is not supported.'}` },
  70003: { error: 'unsupported_grant_type', status: 400, message: (p) => `The app requested an unsupported grant type ${q(p.grantType)}.` },
  900561: { error: 'invalid_request', status: 400, message: (p) => `The endpoint only accepts ${p.allowed ?? 'POST, OPTIONS'} requests. Received a ${p.method ?? ''} request.` },
  // self-service flows (sign-up, email one-time passcode, password reset); the native authentication
  // API returns the same codes (native-auth-api.md §2)
  90100: { error: 'invalid_request', status: 400, message: (p) => `${p.name ?? 'username'} parameter is empty or not valid.` },
  1003037: { error: 'user_already_exists', status: 400, message: () => 'It looks like you may already have an account with this email address. Sign in instead.' },
  50181: { error: 'invalid_grant', suberror: 'invalid_oob_value', status: 400, message: (p) => `Unable to validate the one-time code. ${p.detail ?? ''}`.trim() },
  399246: { error: 'invalid_grant', suberror: 'password_too_weak', status: 400, message: (p) => `The password does not meet the password policy. ${p.detail ?? ''}`.trim() },
  55103: { error: 'credential_required', status: 400, message: () => 'A password is required to complete sign-up.' },
  55106: { error: 'attributes_required', status: 400, message: () => 'User attributes are required to complete sign-up.' },
  552003: { error: 'expired_token', status: 400, message: () => 'The continuation token has expired. Start the flow again.' },
  55200: { error: 'invalid_request', status: 400, message: () => 'The continuation_token is invalid.' },
  500222: { error: 'invalid_request', status: 400, message: () => 'The user account does not have a password; it signs in with an email one-time passcode.' },
  // native authentication API (native-auth-api.md §2, §3)
  901007: { error: 'invalid_request', status: 400, message: (p) => p.detail ? String(p.detail) : "The challenge_type list parameter does not include the 'redirect' type." },
  50079: { error: 'invalid_grant', suberror: 'registration_required', status: 400, message: () => 'Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access the resource.' },
  901001: { error: 'invalid_request', status: 400, message: () => 'The verification contact is invalid.' },
  // Not an Entra code: the app is confidential or its "Enable native authentication" setting is off.
  9990410: { error: 'invalid_client', suberror: 'nativeauthapi_disabled', status: 400, message: (p) => `Native authentication is not enabled for the application ${q(p.clientId)}: ${p.detail ?? 'enable it (nativeAuthenticationApisEnabled) and make the app a public client.'}` },
  // Not an Entra code: Entra returns attribute_validation_failed without one.
  9990422: { error: 'invalid_grant', suberror: 'attribute_validation_failed', status: 400, message: (p) => `An attribute value is not valid: ${p.detail ?? ''}`.trim() },
  // Not an Entra code either: the tenant's user flow does not allow this (no self-service sign-up, or
  // no user flow linked to the app).
  9990403: { error: 'unauthorized_client', status: 400, message: (p) => `${p.detail ?? 'The user flow linked to this application does not allow this.'}` },
  // Not an Entra code: the emulator's own, for behaviour it does not emulate yet. Saying so beats a fake success.
  9990001: { error: 'temporarily_unavailable', status: 400, message: (p) => `ciam-emulator does not emulate ${p.feature ?? 'this endpoint'} yet.` },
  // Not an Entra code: a failure the test asked for (POST /_emulator/v1/faults with a status).
  9990503: { error: 'temporarily_unavailable', status: 503, message: (p) => `ciam-emulator fault injection: this request was made to fail with HTTP ${p.status ?? 503}.` },
  // Not an Entra code: no such endpoint (Entra answers these with a bare 404 page).
  9990404: { error: 'invalid_request', status: 404, message: (p) => `ciam-emulator has no endpoint at ${p.method ?? ''} ${p.path ?? ''}.` },
  // Not an Entra code either: a failure inside the emulator itself (a bug); the trace id finds it in the log.
  9990500: { error: 'server_error', status: 500, message: () => 'ciam-emulator hit an internal error. The trace ID below finds it in the emulator log.' },
} satisfies Record<number, CatalogEntry>;

export type AadCode = keyof typeof AADSTS;

export class AadError extends Error {
  readonly code: AadCode;
  readonly params: Params;
  readonly error: string;
  readonly status: number;
  readonly suberror: string | undefined;
  /** extra body fields (native auth: continuation_token, required_attributes, invalid_attributes) */
  readonly extra: Record<string, unknown> | undefined;

  /**
   * `suberror` overrides the catalog's (Entra answers one code with several password suberrors);
   * `error` overrides the OAuth error (the native auth API answers AADSTS50034 as user_not_found).
   */
  constructor(code: AadCode, params: Params = {}, options?: { cause?: unknown; suberror?: string; error?: string; extra?: Record<string, unknown> }) {
    const entry: CatalogEntry = AADSTS[code];
    super(`AADSTS${code}: ${entry.message(params)}`, options);
    this.name = 'AadError';
    this.code = code;
    this.params = params;
    this.error = options?.error ?? entry.error;
    this.status = entry.status;
    this.suberror = options?.suberror ?? entry.suberror;
    this.extra = options?.extra;
  }

  /** The message without the `AADSTSnnnn: ` prefix, for pages that show the code separately. */
  get text(): string {
    return AADSTS[this.code].message(this.params);
  }
}

/** `assertAad(user, 50034, {…})` narrows like `assert`, throwing the Entra error. */
export function assertAad(condition: unknown, code: AadCode, params?: Params): asserts condition {
  if (!condition) throw new AadError(code, params);
}

/** Entra's timestamp format in error bodies: `2023-05-06 06:03:00Z`. */
export function entraTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export interface ErrorContext {
  traceId: string;
  correlationId: string;
  now: Date;
}

export interface OAuthErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
}

export function errorUri(publicUrl: string, code: number): string {
  return `${publicUrl}/error?code=${code}`;
}

/** The JSON body Entra's token endpoint answers with (description lines joined by \r\n). */
export function toOAuthBody(err: AadError, ctx: ErrorContext, publicUrl: string): OAuthErrorBody {
  const timestamp = entraTimestamp(ctx.now);
  return {
    error: err.error,
    error_description: `${err.message}\r\nTrace ID: ${ctx.traceId}\r\nCorrelation ID: ${ctx.correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: ctx.traceId,
    correlation_id: ctx.correlationId,
    error_uri: errorUri(publicUrl, err.code),
    ...(err.suberror ? { suberror: err.suberror } : {}),
    ...err.extra,
  };
}
