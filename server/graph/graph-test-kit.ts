import { afterAll, beforeAll, expect } from 'vitest';
import { Client } from '@microsoft/microsoft-graph-client';
import { ConfidentialClientApplication, CryptoProvider, LogLevel } from '@azure/msal-node';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';

/**
 * What the Graph tests share: an emulator, the real Graph SDK pointed at it by baseUrl and customHosts
 * only, an app-only token from msal-node's client credentials (scope https://graph.microsoft.com/.default),
 * and helpers. Call graphTestKit() at the top of a test file; its fields are set before the tests run.
 */
export const EXT = 'extension_66666666666646668666666666666666_loyaltyNumber';

export interface GraphTestKit {
  emu: TestEmulator;
  graph: Client;
  token: string;
}

export function graphTestKit(): GraphTestKit {
  const kit = {} as GraphTestKit;
  beforeAll(async () => {
    kit.emu = await startTestEmulator();
    const r = await cca(kit, DEFAULT.daemon, DEFAULT.daemonSecret).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    kit.token = r!.accessToken;
    kit.graph = graphClient(kit, kit.token);
  });
  afterAll(async () => { await kit.emu.close(); });
  return kit;
}

export function cca(kit: GraphTestKit, clientId: string, clientSecret: string) {
  return new ConfidentialClientApplication({
    auth: { clientId, clientSecret, authority: kit.emu.authority, knownAuthorities: [new URL(kit.emu.url).host] },
    system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
  });
}

export const graphClient = (kit: GraphTestKit, token: string) =>
  Client.init({ authProvider: (done) => done(null, token), baseUrl: kit.emu.url, customHosts: new Set([new URL(kit.emu.url).hostname]) });

export const raw = (kit: GraphTestKit, path: string, init: RequestInit & { auth?: string | null } = {}) => fetch(`${kit.emu.url}${path}`, {
  ...init,
  headers: { ...(init.auth === null ? {} : { authorization: `Bearer ${init.auth ?? kit.token}` }), 'content-type': 'application/json', 'client-request-id': 'test-crid', ...(init.headers as Record<string, string>) },
});

export async function expectGraphError(res: Response, status: number, code: string, message?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.get('client-request-id')).toBe('test-crid');
  const body = await res.json() as { error: { code: string; message: string; innerError: Record<string, string> } };
  expect(body.error.code).toBe(code);
  if (message) expect(body.error.message).toMatch(message);
  expect(body.error.innerError['request-id']).toBe(res.headers.get('request-id'));
  expect(body.error.innerError['client-request-id']).toBe('test-crid');
  expect(body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
}

let seq = 0;
export const newCustomer = (over: Record<string, unknown> = {}) => {
  const email = `customer${++seq}-${Date.now()}@example.com`;
  return {
    email,
    body: {
      displayName: `Customer ${seq}`,
      identities: [{ signInType: 'emailAddress', issuer: DEFAULT.domain, issuerAssignedId: email }],
      mail: email,
      passwordProfile: { password: 'Str0ng!Passw0rd', forceChangePasswordNextSignIn: false },
      passwordPolicies: 'DisablePasswordExpiration',
      ...over,
    },
  };
};

export async function signIn(kit: GraphTestKit, email: string, password: string) {
  const app = cca(kit, DEFAULT.web, DEFAULT.webSecret);
  const { challenge } = await new CryptoProvider().generatePkceCodes();
  const url = await app.getAuthCodeUrl({ scopes: ['openid'], redirectUri: DEFAULT.webRedirect, codeChallenge: challenge, codeChallengeMethod: 'S256' });
  return new HttpBrowser(kit.emu.url).signIn(url, email, password);
}

/** An admin grants the daemon one more Graph app role (as consent would); returns a token carrying it. */
export async function withGraphRole(kit: GraphTestKit, role: string): Promise<string> {
  const app = kit.emu.directory.applications.findByAppId(DEFAULT.tenantId, DEFAULT.daemon)!;
  const { tenantId: _t, isConfidential: _c, ...input } = app;
  kit.emu.directory.applications.upsert(DEFAULT.tenantId, { ...input, grantedPermissions: input.grantedPermissions.map((g) =>
    g.resourceAppId === '00000003-0000-0000-c000-000000000000' ? { ...g, roles: [...new Set([...(g.roles ?? []), role])] } : g) }, Date.now());
  return (await cca(kit, DEFAULT.daemon, DEFAULT.daemonSecret).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'], skipCache: true }))!.accessToken;
}
