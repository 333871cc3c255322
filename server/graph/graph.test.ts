import { describe, expect, it } from 'vitest';
import { GraphError as SdkError } from '@microsoft/microsoft-graph-client';
import { CryptoProvider } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { DEFAULT } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { EXT, cca, expectGraphError, graphClient, graphTestKit, newCustomer, raw, signIn, withGraphRole } from './graph-test-kit.js';

// Users and groups through Microsoft Graph with the real Graph SDK (graph-test-kit.ts: baseUrl and customHosts changed, nothing else).
const kit = graphTestKit();

describe('Microsoft Graph users', () => {
  it('the token endpoint issues Graph tokens with the granted app roles', () => {
    expect(decodeJwt(kit.token)).toMatchObject({ aud: '00000003-0000-0000-c000-000000000000', tid: DEFAULT.tenantId, idtyp: 'app' });
    expect(decodeJwt(kit.token).roles).toEqual(expect.arrayContaining(['User.ReadWrite.All', 'Group.ReadWrite.All']));
  });

  it('creates a customer with an email identity and a custom attribute, finds them by identity, signs them in', async () => {
    const { email, body } = newCustomer({ [EXT]: 'L-42' });
    const created = await kit.graph.api('/users').post(body);
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.userPrincipalName).toBe(`${created.id}@${DEFAULT.domain}`);
    expect(created).not.toHaveProperty('passwordProfile');
    expect(created).not.toHaveProperty('identities');

    const found = await kit.graph.api('/users').select(['displayName', 'id', 'identities', EXT, 'creationType', 'accountEnabled'])
      .filter(`identities/any(c:c/issuerAssignedId eq '${email}' and c/issuer eq '${DEFAULT.domain}')`).get();
    expect(found.value).toHaveLength(1);
    expect(found.value[0]).toMatchObject({ id: created.id, [EXT]: 'L-42', creationType: 'LocalAccount', accountEnabled: true });
    expect(found.value[0].identities).toContainEqual({ signInType: 'emailAddress', issuer: DEFAULT.domain, issuerAssignedId: email });
    expect((await kit.graph.api('/users').filter(`${EXT} eq 'L-42'`).get()).value.map((u: { id: string }) => u.id)).toEqual([created.id]);
    expect((await kit.graph.api(`/users/${created.userPrincipalName}`).get()).id).toBe(created.id);

    // one directory: the new user signs in at once on the hosted pages
    expect((await signIn(kit, email, 'Str0ng!Passw0rd')).url).toMatch(/^http:\/\/localhost:3001\/auth\/redirect\?code=/);
  });

  it('a user who signed up (fixtures) appears in Graph', async () => {
    const alice = await kit.graph.api(`/users/${DEFAULT.alice.id}`).select(['displayName', EXT, 'country']).get();
    expect(alice).toMatchObject({ displayName: 'Alice Example', [EXT]: '1234567', country: 'Norway' });
  });

  it('pages through 250 users with $top=120 (not the default 100) in pages of 120, 120 and 10, with absolute nextLinks and $count', async () => {
    const prefix = `Pager${Date.now()}`;
    for (let i = 0; i < 250; i++) await raw(kit, '/v1.0/users', { method: 'POST', body: JSON.stringify(newCustomer({ displayName: `${prefix} ${String(i).padStart(3, '0')}` }).body) });
    const seen: string[] = [];
    const pages: { size: number; nextLink: unknown }[] = [];
    let page = await kit.graph.api('/users').filter(`startsWith(displayName,'${prefix}')`).top(120).orderby('displayName')
      .header('ConsistencyLevel', 'eventual').count(true).get();
    expect(page['@odata.count']).toBe(250);
    // $top=120 over 250 matches is exactly three pages: 120, 120, 10; the last one has no nextLink.
    // (120, not Graph's default page size of 100, so that an ignored $top shows.)
    for (let i = 0; i < 3; i++) {
      seen.push(...page.value.map((u: { displayName: string }) => u.displayName));
      pages.push({ size: page.value.length, nextLink: page['@odata.nextLink'] });
      if (i < 2) page = await kit.graph.api(String(page['@odata.nextLink'])).get();
    }
    expect(pages.map((p) => p.size)).toEqual([120, 120, 10]);
    expect(pages[0]!.nextLink).toMatch(new RegExp(`^${kit.emu.url}/v1.0/users\\?.*\\$skiptoken=`));
    expect(pages[1]!.nextLink).toMatch(new RegExp(`^${kit.emu.url}/v1.0/users\\?.*\\$skiptoken=`));
    expect(pages[2]!.nextLink).toBeUndefined();
    expect(seen).toHaveLength(250);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(250);
  }, 60_000);

  it('blocks and unblocks: sign-in fails with AADSTS50057, then works', async () => {
    const { email, body } = newCustomer();
    const u = await kit.graph.api('/users').post(body);
    await kit.graph.api(`/users/${u.id}`).patch({ accountEnabled: false });
    const blocked = await signIn(kit, email, 'Str0ng!Passw0rd');
    expect(blocked.html).toMatch(/50057/);
    expect((await kit.graph.api('/users').filter('accountEnabled eq false').select(['id']).top(999).get()).value.map((x: { id: string }) => x.id)).toContain(u.id);
    await kit.graph.api(`/users/${u.id}`).patch({ accountEnabled: true });
    expect((await signIn(kit, email, 'Str0ng!Passw0rd')).url).toMatch(/code=/);
  });

  it('admin password reset with a forced change: the old password fails, the temporary one leads to a new one', async () => {
    const { email, body } = newCustomer();
    const u = await kit.graph.api('/users').post(body);
    await kit.graph.api(`/users/${u.id}`).patch({ passwordProfile: { password: 'N3w!Passw0rd', forceChangePasswordNextSignIn: true } });
    expect(kit.emu.directory.users.findById(DEFAULT.tenantId, u.id)!.forceChangePassword).toBe(true);
    const old = await signIn(kit, email, 'Str0ng!Passw0rd');
    expect(old.status).toBe(400);
    expect(old.html).toContain('AADSTS50126');
    const forced = await signIn(kit, email, 'N3w!Passw0rd');
    expect(forced.html).toContain('Update your password');
    const browser = new HttpBrowser(kit.emu.url);
    const changed = await browser.submit(await browser.signIn((await cca(kit, DEFAULT.web, DEFAULT.webSecret).getAuthCodeUrl({ scopes: ['openid'], redirectUri: DEFAULT.webRedirect })), email, 'N3w!Passw0rd'),
      { password: 'Ch4nged!Passw0rd', confirmPassword: 'Ch4nged!Passw0rd' });
    expect(changed.url).toMatch(/code=/);
    expect(kit.emu.directory.users.findById(DEFAULT.tenantId, u.id)!.forceChangePassword).toBe(false);
    expect((await signIn(kit, email, 'Ch4nged!Passw0rd')).url).toMatch(/code=/);
  });

  it('deletes, lists deleted items, restores and purges', async () => {
    const { email, body } = newCustomer();
    const u = await kit.graph.api('/users').post(body);
    await kit.graph.api(`/users/${u.id}`).delete();
    await expectGraphError(await raw(kit, `/v1.0/users/${u.id}`), 404, 'Request_ResourceNotFound', new RegExp(u.id));
    const deleted = await kit.graph.api('/directory/deletedItems/microsoft.graph.user').get();
    expect(deleted.value.map((x: { id: string }) => x.id)).toContain(u.id);
    expect(deleted.value.find((x: { id: string }) => x.id === u.id).deletedDateTime).toBeTruthy();
    await kit.graph.api(`/directory/deletedItems/${u.id}/restore`).post({});
    expect((await kit.graph.api(`/users/${u.id}`).get()).displayName).toBe(body.displayName);
    expect((await signIn(kit, email, 'Str0ng!Passw0rd')).url).toMatch(/code=/);
    await kit.graph.api(`/users/${u.id}`).delete();
    await kit.graph.api(`/directory/deletedItems/${u.id}`).delete();
    await expectGraphError(await raw(kit, `/v1.0/directory/deletedItems/${u.id}`), 404, 'Request_ResourceNotFound');
    // the identity is free again once purged
    expect((await kit.graph.api('/users').post(body)).id).not.toBe(u.id);
  });
});

describe('Microsoft Graph groups and the groups claim', () => {
  it('creates a group, adds and removes members, lists memberOf, and the web app gets the groups claim', async () => {
    const g = await kit.graph.api('/groups').post({ displayName: 'Gold customers', mailEnabled: false, mailNickname: 'gold', securityEnabled: true });
    await kit.graph.api(`/groups/${g.id}/members/$ref`).post({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${DEFAULT.alice.id}` });
    await expectGraphError(await raw(kit, `/v1.0/groups/${g.id}/members/$ref`, { method: 'POST', body: JSON.stringify({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${DEFAULT.alice.id}` }) }),
      400, 'Request_BadRequest', /already exist/);
    expect((await kit.graph.api(`/groups/${g.id}/members`).get()).value.map((m: { id: string }) => m.id)).toEqual([DEFAULT.alice.id]);
    expect((await kit.graph.api(`/users/${DEFAULT.alice.id}/memberOf`).get()).value.map((m: { id: string }) => m.id)).toContain(g.id);

    const app = cca(kit, DEFAULT.web, DEFAULT.webSecret);
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const scopes = [`api://${DEFAULT.api}/ToDoList.Read`];
    const url = await app.getAuthCodeUrl({ scopes, redirectUri: DEFAULT.webRedirect, codeChallenge: challenge, codeChallengeMethod: 'S256' });
    const landed = await new HttpBrowser(kit.emu.url).signIn(url, DEFAULT.alice.email, DEFAULT.alice.password);
    const code = new URL(landed.url).searchParams.get('code')!;
    const result = await app.acquireTokenByCode({ code, scopes, redirectUri: DEFAULT.webRedirect, codeVerifier: verifier });
    expect(decodeJwt(result.accessToken).groups).toEqual([g.id]);
    expect(decodeJwt(result.idToken).groups).toEqual([g.id]);

    await kit.graph.api(`/groups/${g.id}/members/${DEFAULT.alice.id}/$ref`).delete();
    expect((await kit.graph.api(`/groups/${g.id}/members`).get()).value).toEqual([]);
    await kit.graph.api(`/groups/${g.id}`).delete();
    await expectGraphError(await raw(kit, `/v1.0/groups/${g.id}`), 404, 'Request_ResourceNotFound');
  });
});
