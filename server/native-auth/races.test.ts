import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { DEFAULT, countingHasher, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { postForm } from '../testing/oauth.js';

// Native authentication under concurrency (issue 10, item 2): smart lockout and single-use
// continuation tokens must hold when a client fires its requests in parallel, not only in sequence.
// The emulator counts every argon2 verification through an injected hasher.
let emu: TestEmulator;
const clock = new ManualClock();
const hasher = countingHasher();

beforeAll(async () => { emu = await startTestEmulator({ clock, hasher }); });
afterAll(async () => { await emu.close(); });

const SPA = DEFAULT.spa;
const call = (path: string, form: Record<string, string>) => postForm(`${emu.url}/${DEFAULT.domain}${path}`, form);

/** A native sign-up through start, challenge and the emailed code: the continuation token that asks for the password. */
async function signUpToPasswordStep(email: string): Promise<string> {
  let r = await call('/signup/v1.0/start', { client_id: SPA, username: email, challenge_type: 'oob password redirect' });
  r = await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: String(r.body.continuation_token), challenge_type: 'oob password redirect' });
  const code = emu.mailer.outbox.list({ to: email, top: 1 })[0]!.code!;
  r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: String(r.body.continuation_token), grant_type: 'oob', oob: code });
  r = await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: String(r.body.continuation_token), challenge_type: 'oob password redirect' });
  return String(r.body.continuation_token);
}

/** A customer with a password, made directly in the directory (no sign-up mail needed). */
async function customer(email: string, password: string): Promise<string> {
  const id = crypto.randomUUID();
  emu.directory.users.upsert(DEFAULT.tenantId, {
    id, displayName: email, givenName: null, surname: null, mail: email, city: null, country: null, state: null, postalCode: null,
    streetAddress: null, jobTitle: null, companyName: null, accountEnabled: true, userType: 'Member', creationType: 'LocalAccount',
    passwordHash: await hasher.hash(password), forceChangePassword: false,
    identities: [{ signInType: 'emailAddress', issuer: DEFAULT.domain, issuerAssignedId: email }],
  }, clock.nowMs());
  return id;
}

/** initiate → challenge(password): a continuation token for the password grant. */
async function passwordToken(email: string): Promise<string> {
  const start = await call('/oauth2/v2.0/initiate', { client_id: SPA, username: email, challenge_type: 'password redirect' });
  expect(start.status, JSON.stringify(start.body)).toBe(200);
  const challenge = await call('/oauth2/v2.0/challenge', { client_id: SPA, continuation_token: String(start.body.continuation_token), challenge_type: 'password redirect' });
  expect(challenge.body.challenge_type).toBe('password');
  return String(challenge.body.continuation_token);
}

const passwordGrant = (token: string, password: string) =>
  call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: token, grant_type: 'password', password, scope: 'openid' });
const firstCode = (r: { body: Record<string, unknown> }) => (r.body.error_codes as number[] | undefined)?.[0];
const tally = (rs: { status: number; body: Record<string, unknown> }[]) => {
  const out: Record<string, number> = {};
  for (const r of rs) {
    const key = r.status === 200 ? '200' : `${r.status} ${String(r.body.error)} ${firstCode(r)}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
};

describe('smart lockout under parallel guesses (native authentication)', () => {
  it('verifies exactly 10 of 100 parallel wrong passwords (10 × AADSTS50126, 90 × AADSTS50053), then stays locked at 59 s and opens at 61 s', async () => {
    const email = 'parallel-guesses@example.com';
    const password = 'Corr3ct-horse';
    await customer(email, password);
    const tokens: string[] = [];
    for (let i = 0; i < 101; i++) tokens.push(await passwordToken(email));

    const before = hasher.verifications;
    const answers = await Promise.all(tokens.slice(0, 100).map((t, i) => passwordGrant(t, `wrong-guess-${i}`)));
    expect(tally(answers)).toEqual({ '400 invalid_grant 50126': 10, '400 invalid_grant 50053': 90 });
    expect(hasher.verifications - before).toBe(10);

    // The right password during the lockout is refused without being checked either.
    const lockedAt = clock.nowMs();
    const last = tokens[100]!;
    clock.advance(59_000);
    const early = await passwordGrant(last, password);
    expect(early.status).toBe(400);
    expect(early.body.error).toBe('invalid_grant');
    expect(firstCode(early)).toBe(50053);
    expect(hasher.verifications - before).toBe(10);

    clock.advance(61_000 - (clock.nowMs() - lockedAt));
    // The token given before the lockout is still valid (10 minutes) and was not spent by the refusal.
    const ok = await passwordGrant(last, password);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.id_token).toBeTruthy();
  }, 60_000); // 101 continuation tokens are made first: far slower than one sign-in
});

describe('single-use continuation tokens under parallel use', () => {
  it('gives one token set for 20 parallel password grants with one continuation token; the 19 others are 400 invalid_request AADSTS55200', async () => {
    const email = 'parallel-spend@example.com';
    const password = 'Corr3ct-horse';
    await customer(email, password);
    const token = await passwordToken(email);
    const answers = await Promise.all(Array.from({ length: 20 }, () => passwordGrant(token, password)));
    expect(tally(answers)).toEqual({ '200': 1, '400 invalid_request 55200': 19 });
    // and afterwards it is spent for good
    const again = await passwordGrant(token, password);
    expect([again.status, again.body.error, firstCode(again)]).toEqual([400, 'invalid_request', 55200]);
  });

  it('gives one token set for 20 parallel continuation_token grants after sign-up', async () => {
    const email = 'parallel-signup@example.com';
    let r = await call('/signup/v1.0/start', { client_id: SPA, username: email, challenge_type: 'oob password redirect' });
    r = await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: String(r.body.continuation_token), challenge_type: 'oob password redirect' });
    const code = emu.mailer.outbox.list({ to: email, top: 1 })[0]!.code!;
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: String(r.body.continuation_token), grant_type: 'oob', oob: code });
    r = await call('/signup/v1.0/challenge', { client_id: SPA, continuation_token: String(r.body.continuation_token), challenge_type: 'oob password redirect' });
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: String(r.body.continuation_token), grant_type: 'password', password: 'Str0ng-pass' });
    r = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: String(r.body.continuation_token), grant_type: 'attributes',
      attributes: JSON.stringify({ displayName: 'Parallel Pat', country: 'Norway' }) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const token = String(r.body.continuation_token);
    const answers = await Promise.all(Array.from({ length: 20 }, () =>
      call('/oauth2/v2.0/token', { client_id: SPA, continuation_token: token, grant_type: 'continuation_token', username: email, scope: 'openid' })));
    expect(tally(answers)).toEqual({ '200': 1, '400 invalid_request 55200': 19 });
  });

  it('moves a sign-up to its next step once for 20 parallel password submissions with one continuation token', async () => {
    const email = 'parallel-password-step@example.com';
    const token = await signUpToPasswordStep(email);
    const answers = await Promise.all(Array.from({ length: 20 }, () =>
      call('/signup/v1.0/continue', { client_id: SPA, continuation_token: token, grant_type: 'password', password: 'Str0ng-pass' })));
    // the one that got the token is told what is still missing (with the next token); the rest were too late
    expect(tally(answers)).toEqual({ '400 attributes_required 55106': 1, '400 invalid_request 55200': 19 });
  });

  it('keeps a token usable after its step fails (a weak password), so the client retries with it', async () => {
    const email = 'retry-after-policy@example.com';
    const token = await signUpToPasswordStep(email);
    const weak = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: token, grant_type: 'password', password: 'short' });
    expect([weak.status, weak.body.error, firstCode(weak), weak.body.suberror]).toEqual([400, 'invalid_grant', 399246, 'password_too_short']);
    const good = await call('/signup/v1.0/continue', { client_id: SPA, continuation_token: token, grant_type: 'password', password: 'Str0ng-pass' });
    expect([good.status, good.body.error, firstCode(good)]).toEqual([400, 'attributes_required', 55106]);
  });
});
