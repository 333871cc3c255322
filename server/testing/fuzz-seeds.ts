import { randomUUID } from 'node:crypto';
import { DEFAULT } from './harness.js';
import { pkce } from './oauth.js';

/**
 * What the fuzz suite (server/http/fuzz.test.ts) knows about the default fixtures: ids that exist
 * and a valid body or query for each route, which the generator (./fuzz.ts) then breaks one way at a time.
 */

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export function pathParams(): Record<string, string[]> {
  return {
    tenant: ['contoso', DEFAULT.domain, DEFAULT.tenantId],
    id: [DEFAULT.alice.id, DEFAULT.web, DEFAULT.spa, 'a3333333-3333-4333-8333-333333333333', randomUUID()],
    memberId: [DEFAULT.alice.id],
    uid: [],
    ticket: ['a'.repeat(32)],
  };
}

const newUser = () => {
  const email = `fuzz-${randomUUID().slice(0, 8)}@example.com`;
  return {
    displayName: 'Fuzz Customer', mail: email,
    identities: [{ signInType: 'emailAddress', issuer: DEFAULT.domain, issuerAssignedId: email }],
    passwordProfile: { password: 'Str0ng!Passw0rd', forceChangePasswordNextSignIn: false }, passwordPolicies: 'DisablePasswordExpiration',
  };
};

/** A valid JSON body for a fastify route, to be mutated. */
export function jsonSeed(method: string, path: string, url: string): unknown {
  const key = `${method} ${path}`;
  switch (key) {
    case 'POST /v1.0/users': return newUser();
    case 'PATCH /v1.0/users/:id': return { displayName: 'Renamed', mail: `fuzz-${randomUUID().slice(0, 8)}@example.com`, accountEnabled: true, passwordProfile: { password: 'An0ther!Passw0rd', forceChangePasswordNextSignIn: false }, [`extension_66666666666646668666666666666666_loyaltyNumber`]: '42' };
    case 'POST /v1.0/groups': return { displayName: 'Fuzzers', mailEnabled: false, mailNickname: 'fuzzers', securityEnabled: true, description: 'made by the fuzz suite' };
    case 'PATCH /v1.0/groups/:id': return { displayName: 'Fuzzers 2', description: 'x' };
    case 'POST /v1.0/groups/:id/members/$ref': return { '@odata.id': `${url}/v1.0/directoryObjects/${DEFAULT.alice.id}` };
    case 'PATCH /v1.0/applications/:id': return { displayName: 'Renamed app', web: { redirectUris: ['https://app.example.com/cb'] }, spa: { redirectUris: ['http://localhost:5173'] } };
    case 'POST /v1.0/applications/:id/addPassword': return { passwordCredential: { displayName: 'fuzz', endDateTime: '2030-01-01T00:00:00Z' } };
    case 'POST /v1.0/applications/:id/removePassword': return { keyId: randomUUID() };
    case 'POST /v1.0/identity/userFlowAttributes': return { displayName: `Hobby${randomUUID().slice(0, 4)}`, description: 'd', dataType: 'string' };
    case 'POST /v1.0/identity/authenticationEventsFlows': return {
      '@odata.type': '#microsoft.graph.externalUsersSelfServiceSignUpEventsFlow', displayName: 'Fuzz flow',
      onAuthenticationMethodLoadStart: { '@odata.type': '#microsoft.graph.onAuthenticationMethodLoadStartExternalUsersSelfServiceSignUp', identityProviders: [{ id: 'EmailPassword-OAUTH' }] },
      onInteractiveAuthFlowStart: { '@odata.type': '#microsoft.graph.onInteractiveAuthFlowStartExternalUsersSelfServiceSignUp', isSignUpAllowed: true },
      onAttributeCollection: { '@odata.type': '#microsoft.graph.onAttributeCollectionExternalUsersSelfServiceSignUp', attributes: [{ id: 'email' }] },
    };
    case 'POST /v1.0/identity/authenticationEventsFlows/:id/conditions/applications/includeApplications': return { '@odata.type': '#microsoft.graph.authenticationConditionApplication', appId: DEFAULT.web };
    case 'POST /_emulator/v1/clock': return { advance: 'PT1M' };
    case 'POST /_emulator/v1/faults': return { endpoint: 'token', status: 400, aadsts: 50126, count: 1 };
    case 'POST /_emulator/v1/tenants/:tenant/login-as': return { email: DEFAULT.alice.email };
    case 'POST /_emulator/v1/tenants': {
      const n = randomUUID().slice(0, 8);
      return { tenant: { id: randomUUID(), subdomain: `fuzz${n}`, defaultDomain: `fuzz${n}.onmicrosoft.com`, displayName: 'Fuzz' }, users: [{ displayName: 'U', mail: `u@fuzz${n}.com`, identities: [{ signInType: 'emailAddress', issuer: `fuzz${n}.onmicrosoft.com`, issuerAssignedId: `u@fuzz${n}.com` }], password: 'Passw0rd!' }] };
    }
    default: return {};
  }
}

/** A valid form body for the native authentication API and the hosted pages, by the route's last segments. */
export function formSeed(path: string): Record<string, string> {
  const email = `fuzz-${randomUUID().slice(0, 8)}@example.com`;
  const client_id = DEFAULT.spa;
  if (/\/(signup|resetpassword|register)\/v1\.0\/start$/.test(path) || path.endsWith('/oauth2/v2.0/initiate')) {
    return { client_id, username: path.includes('resetpassword') || path.includes('initiate') ? DEFAULT.alice.email : email, challenge_type: 'oob password redirect', password: 'Str0ng!Passw0rd', attributes: '{"displayName":"Fuzz"}' };
  }
  if (/\/v1\.0\/(challenge|introspect|poll_completion)$/.test(path) || /\/oauth2\/v2\.0\/(challenge|introspect)$/.test(path)) {
    return { client_id, continuation_token: 'junk-token', challenge_type: 'oob password redirect', id: 'email', challenge_target: email, challenge_channel: 'email' };
  }
  if (/\/v1\.0\/(continue|submit)$/.test(path)) return { client_id, continuation_token: 'junk-token', grant_type: 'oob', oob: '12345678', password: 'Str0ng!Passw0rd', new_password: 'Str0ng!Passw0rd', attributes: '{"displayName":"Fuzz"}' };
  if (path.endsWith('/login')) return { email: DEFAULT.alice.email, password: 'wrong-password' };
  if (path.endsWith('/verify')) return { code: '12345678' };
  if (path.endsWith('/password') || path.endsWith('/new-password')) return { password: 'Str0ng!Passw0rd', confirmPassword: 'Str0ng!Passw0rd', newPassword: 'Str0ng!Passw0rd', reenterPassword: 'Str0ng!Passw0rd' };
  if (path.endsWith('/attributes')) return { displayName: 'Fuzz', givenName: 'F', surname: 'Z', country: 'Norway', extension_66666666666646668666666666666666_loyaltyNumber: '12' };
  if (path.endsWith('/sign-up') || path.endsWith('/password-reset') || path.endsWith('/email-code')) return { email };
  return { client_id };
}

/** The query parameters a GET route reads, to be mutated. */
export function querySeed(path: string, url: string): Record<string, string> | undefined {
  if (path === '/_emulator/v1/mail' || path === '/_emulator/mail') return { to: DEFAULT.alice.email, top: '5' };
  if (path === '/_emulator/v1/tenants/:tenant/sign-ins') return { top: '5' };
  if (path === '/_emulator/v1/login-as/:ticket') return { next: `${url}/${DEFAULT.domain}/oauth2/v2.0/authorize?client_id=${DEFAULT.web}` };
  if (path === '/error') return { code: '50126' };
  if (/^\/v1\.0\/[\w/]+$/.test(path)) return { $top: '5', $filter: "startsWith(displayName,'A')", $select: 'id,displayName', $count: 'true' };
  return undefined;
}

export const TOKEN_SEEDS = (): Record<string, string>[] => [
  { grant_type: 'client_credentials', client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, scope: 'https://graph.microsoft.com/.default' },
  { grant_type: 'authorization_code', client_id: DEFAULT.web, client_secret: DEFAULT.webSecret, code: 'junk', redirect_uri: DEFAULT.webRedirect, code_verifier: 'v'.repeat(43) },
  { grant_type: 'refresh_token', client_id: DEFAULT.spa, refresh_token: 'junk', scope: 'openid offline_access' },
  { grant_type: 'password', client_id: DEFAULT.spa, username: DEFAULT.alice.email, password: DEFAULT.alice.password, scope: 'openid' },
  { grant_type: 'continuation_token', client_id: DEFAULT.spa, continuation_token: 'junk', scope: 'openid' },
  { grant_type: 'oob', client_id: DEFAULT.spa, continuation_token: 'junk', oob: '12345678' },
  { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: DEFAULT.spa, device_code: 'x' },
];

export const AUTHORIZE_SEED = (): Record<string, string> => ({
  client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, response_type: 'code', scope: 'openid profile offline_access', state: 's', nonce: 'n',
  code_challenge: pkce().challenge, code_challenge_method: 'S256', response_mode: 'query', prompt: 'login', login_hint: DEFAULT.alice.email, ui_locales: 'en', domain_hint: 'x',
});

export const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x',
  'application/xml', 'application/x-www-form-urlencoded; charset=latin1', 'application/json, text/html', 'application/*', ';;;', 'application/merge-patch+json'];

