import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createEmulator } from '../emulator.js';
import { createPasswordHasher, type PasswordHasher } from '../directory/passwords.js';
import { DEFAULT, ROOT, TEST_CERTS, freePort } from '../testing/harness.js';
import { cca, newCustomer, raw, type GraphTestKit } from './graph-test-kit.js';

// Microsoft Graph user writes under concurrency and failure (issue 10, item 2): an identity
// (issuer, issuerAssignedId) belongs to one user even when two requests claim it at once, and a
// POST /users that fails part-way leaves nothing behind. The hasher is injected so a password hash
// can be made to fail (an interrupted request).
const HASH_FAILS = 'Hash!Fails-1';
const kit = {} as GraphTestKit;

beforeAll(async () => {
  const real = createPasswordHasher('test');
  const hasher: PasswordHasher = {
    hash: async (p) => { if (p === HASH_FAILS) throw new Error('argon2 interrupted (test)'); return real.hash(p); },
    verify: (h, p) => real.verify(h, p),
  };
  const port = await freePort();
  const config = loadConfig(['--data', ':memory:', '--port', String(port), '--argon2', 'test', '--certs', TEST_CERTS,
    '--fixtures', `${ROOT}fixtures/default`], {});
  const e = await createEmulator(config, { hasher });
  await e.app.listen({ host: '127.0.0.1', port });
  kit.emu = Object.assign(e, { url: config.publicUrl, authority: `${config.publicUrl}/${DEFAULT.domain}` });
  kit.token = (await cca(kit, DEFAULT.daemon, DEFAULT.daemonSecret).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }))!.accessToken;
});
afterAll(async () => { await kit.emu.close(); });

const post = (body: unknown) => raw(kit, '/v1.0/users', { method: 'POST', body: JSON.stringify(body) });
const patch = (id: string, body: unknown) => raw(kit, `/v1.0/users/${id}`, { method: 'PATCH', body: JSON.stringify(body) });
const emailIdentity = (email: string) => [{ signInType: 'emailAddress', issuer: DEFAULT.domain, issuerAssignedId: email }];
const CONFLICT = 'Another object with the same value for property identities already exists.';

/** Users holding this sign-in email, as Graph's canonical identity filter finds them. */
async function holders(email: string): Promise<string[]> {
  const filter = `identities/any(c:c/issuerAssignedId eq '${email}' and c/issuer eq '${DEFAULT.domain}')`;
  const res = await raw(kit, `/v1.0/users?$select=id&$filter=${encodeURIComponent(filter)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { value: { id: string }[] }).value.map((u) => u.id);
}

async function expectConflict(res: Response) {
  expect(res.status).toBe(400);
  const body = await res.json() as { error: { code: string; message: string; details: unknown[] } };
  expect(body.error.code).toBe('Request_BadRequest');
  expect(body.error.message).toBe(CONFLICT);
  expect(body.error.details).toEqual([{ target: 'identities', code: 'ObjectConflict', message: CONFLICT }]);
}

async function created(body: unknown): Promise<string> {
  const res = await post(body);
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe('one sign-in email, one user, under concurrency', () => {
  it('answers two parallel PATCHes giving two users one email with 204 and 400 ObjectConflict; one user holds it', async () => {
    const a = await created(newCustomer().body);
    const b = await created(newCustomer().body);
    const email = `shared-${Date.now()}@example.com`;
    // a new password with each PATCH: the request awaits its hash between reading and writing
    const change = { identities: emailIdentity(email), passwordProfile: { password: 'N3w!Passw0rd', forceChangePasswordNextSignIn: false } };
    const [ra, rb] = await Promise.all([patch(a, change), patch(b, change)]);
    const statuses = [ra.status, rb.status].sort();
    expect(statuses).toEqual([204, 400]);
    await expectConflict(ra.status === 400 ? ra : rb);
    const winner = ra.status === 204 ? a : b;
    expect(await holders(email)).toEqual([winner]);
  });

  it('answers two parallel POSTs with one email with 201 and 400 ObjectConflict; one user exists', async () => {
    const { email, body } = newCustomer();
    const before = kit.emu.directory.userAdmin.count(DEFAULT.tenantId, { conditions: [] });
    const [r1, r2] = await Promise.all([post(body), post(body)]);
    expect([r1.status, r2.status].sort()).toEqual([201, 400]);
    await expectConflict(r1.status === 400 ? r1 : r2);
    const winner = ((await (r1.status === 201 ? r1 : r2).json()) as { id: string }).id;
    expect(await holders(email)).toEqual([winner]);
    expect(kit.emu.directory.userAdmin.count(DEFAULT.tenantId, { conditions: [] })).toBe(before + 1);
  });

  it('still answers a PATCH that takes another user\'s email with 400 ObjectConflict and changes nothing of the caller', async () => {
    const taken = newCustomer();
    const owner = await created(taken.body);
    const other = newCustomer();
    const id = await created(other.body);
    const res = await patch(id, { displayName: 'Should not stick', identities: emailIdentity(taken.email) });
    await expectConflict(res);
    expect(await holders(taken.email)).toEqual([owner]);
    expect(await holders(other.email)).toEqual([id]);
    expect(kit.emu.directory.users.findById(DEFAULT.tenantId, id)!.displayName).toBe(other.body.displayName);
  });
});

describe('POST /v1.0/users writes all of the user or nothing', () => {
  it('leaves no user and no identity when the request fails part-way (the password hash fails)', async () => {
    const { email, body } = newCustomer({ passwordProfile: { password: HASH_FAILS, forceChangePasswordNextSignIn: false } });
    const before = kit.emu.directory.userAdmin.count(DEFAULT.tenantId, { conditions: [] });
    const res = await post(body);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('InternalServerError');
    expect(await holders(email)).toEqual([]);
    expect(kit.emu.directory.users.findBySignInName(DEFAULT.tenantId, email)).toBeUndefined();
    expect(kit.emu.directory.userAdmin.count(DEFAULT.tenantId, { conditions: [] })).toBe(before);
    // the same body with a working password then creates the user: nothing was left holding the email
    const retry = await post({ ...body, passwordProfile: { password: 'Str0ng!Passw0rd', forceChangePasswordNextSignIn: false } });
    expect(retry.status).toBe(201);
    const id = ((await retry.json()) as { id: string }).id;
    expect((await raw(kit, `/v1.0/users/${id}`)).status).toBe(200);
  });

  it('leaves no user when its second identity is taken (the conflict is found after the user row is written)', async () => {
    const taken = newCustomer();
    const owner = await created(taken.body);
    const fresh = `fresh-${Date.now()}@example.com`;
    const before = kit.emu.directory.userAdmin.count(DEFAULT.tenantId, { conditions: [] });
    const res = await post({ ...newCustomer().body, identities: [...emailIdentity(fresh), ...emailIdentity(taken.email)] });
    await expectConflict(res);
    expect(await holders(fresh)).toEqual([]);
    expect(await holders(taken.email)).toEqual([owner]);
    expect(kit.emu.directory.userAdmin.count(DEFAULT.tenantId, { conditions: [] })).toBe(before);
  });
});
