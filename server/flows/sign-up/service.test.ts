import { beforeEach, describe, expect, it } from 'vitest';
import { AadError } from '../../errors.js';
import { DEFAULT } from '../../testing/harness.js';
import { flowDeps } from '../../testing/flow-services.js';
import { CodeError } from '../codes.js';
import { AttributeValidationError, createSignUpService } from './service.js';

const OTP_SPA = '77777777-7777-4777-8777-777777777777';
const LOYALTY = 'extension_66666666666646668666666666666666_loyaltyNumber';
const goodAttributes = { displayName: 'Bob Example', country: 'Norway', [LOYALTY]: '7654321' };

let env: Awaited<ReturnType<typeof flowDeps>>;
let signUp: ReturnType<typeof createSignUpService>;
beforeEach(async () => {
  env = await flowDeps();
  signUp = createSignUpService(env.deps);
});

async function codeSent(email = 'bob@example.com', clientId: string = DEFAULT.spa) {
  const tx = await signUp.sendCode(env.tenant, await signUp.start(env.tenant, clientId, email));
  return { tx, code: env.lastCode(email)! };
}

const aad = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as AadError;
  }
  throw new Error('expected an AadError');
};

describe('sign-up with email and password (service)', () => {
  it('creates the account only after code, password and required attributes, with nothing half-written before', async () => {
    const { tx, code } = await codeSent();
    expect(code).toMatch(/^\d{8}$/);
    expect(signUp.next(env.tenant, tx).step).toBe('verifyCode');
    expect(signUp.next(env.tenant, signUp.verifyCode(env.tenant, tx.id, code)).step).toBe('password');
    await signUp.setPassword(env.tenant, tx.id, 'Secr3t-pass');
    expect(env.deps.directory.users.findBySignInName(env.tenant.id, 'bob@example.com')).toBeUndefined();
    const t = signUp.setAttributes(env.tenant, tx.id, goodAttributes);
    expect(signUp.next(env.tenant, t).step).toBe('complete');
    const user = signUp.complete(env.tenant, tx.id);
    expect(user).toMatchObject({ displayName: 'Bob Example', country: 'Norway', mail: 'bob@example.com', creationType: 'LocalAccount' });
    expect(user.identities).toEqual([{ signInType: 'emailAddress', issuer: DEFAULT.domain, issuerAssignedId: 'bob@example.com' }]);
    expect(env.deps.directory.attributes.extensionValues(env.tenant.id, user.id)).toEqual({ [LOYALTY]: '7654321' });
  });

  it('refuses an email that already has an account (user_already_exists)', async () => {
    await expect(signUp.start(env.tenant, DEFAULT.spa, 'ALICE@contoso.com')).rejects.toMatchObject({ code: 1003037, error: 'user_already_exists' });
  });

  it('refuses a malformed email (AADSTS90100)', async () => {
    await expect(signUp.start(env.tenant, DEFAULT.spa, 'not-an-email')).rejects.toMatchObject({ code: 90100 });
  });

  it('refuses an app whose flow does not allow sign-up', async () => {
    await expect(signUp.start(env.tenant, DEFAULT.daemon, 'x@example.com')).rejects.toMatchObject({ code: 9990403 });
  });

  it.each([
    ['Short1!', 'password_too_short'],
    [`Aa1!${'x'.repeat(253)}`, 'password_too_long'],
    ['alllowercase', 'password_too_weak'],
    ['Pässword123', 'password_is_invalid'],
  ])('rejects the password %j with suberror %s, saying which rule', async (password, suberror) => {
    const { tx, code } = await codeSent();
    signUp.verifyCode(env.tenant, tx.id, code);
    await expect(signUp.setPassword(env.tenant, tx.id, password)).rejects.toMatchObject({ code: 399246, suberror });
  });

  it('rejects a wrong code, then locks the code after 5 wrong tries', async () => {
    const { tx, code } = await codeSent();
    const wrong = code === '00000000' ? '11111111' : '00000000';
    for (let i = 0; i < 4; i++) expect(aad(() => signUp.verifyCode(env.tenant, tx.id, wrong))).toMatchObject({ reason: 'wrong', suberror: 'invalid_oob_value' });
    expect(aad(() => signUp.verifyCode(env.tenant, tx.id, wrong))).toMatchObject({ reason: 'tooManyAttempts' });
    expect(aad(() => signUp.verifyCode(env.tenant, tx.id, code))).toBeInstanceOf(CodeError);
  });

  it('rejects an expired code, and a resent code replaces the old one', async () => {
    const { tx, code } = await codeSent();
    env.clock.advance(11 * 60 * 1000);
    // the transaction expired too (10 min of inactivity)
    expect(aad(() => signUp.verifyCode(env.tenant, tx.id, code))).toMatchObject({ code: 552003 });

    const second = await codeSent('carol@example.com');
    await signUp.sendCode(env.tenant, second.tx);
    const newCode = env.lastCode('carol@example.com')!;
    if (newCode !== second.code) expect(aad(() => signUp.verifyCode(env.tenant, second.tx.id, second.code))).toBeInstanceOf(CodeError);
    expect(signUp.verifyCode(env.tenant, second.tx.id, newCode).verifiedAt).toBeTruthy();
  });

  it('rejects a reused code', async () => {
    const { tx, code } = await codeSent();
    signUp.verifyCode(env.tenant, tx.id, code);
    expect(aad(() => signUp.verifyCode(env.tenant, tx.id, code))).toMatchObject({ code: 50181 });
  });

  it('rejects an attribute that fails its regex, and a missing required one, naming them', async () => {
    const { tx, code } = await codeSent();
    signUp.verifyCode(env.tenant, tx.id, code);
    const e = aad(() => signUp.setAttributes(env.tenant, tx.id, { ...goodAttributes, [LOYALTY]: '12ab' })) as AttributeValidationError;
    expect(e.problems).toEqual([{ attribute: LOYALTY, message: 'Loyalty Number is not in the expected format.' }]);
    const missing = aad(() => signUp.setAttributes(env.tenant, tx.id, { country: 'Norway' })) as AttributeValidationError;
    expect(missing.problems.map((p) => p.attribute)).toEqual(['displayName']);
    const badOption = aad(() => signUp.setAttributes(env.tenant, tx.id, { ...goodAttributes, country: 'Atlantis' })) as AttributeValidationError;
    expect(badOption.problems.map((p) => p.attribute)).toEqual(['country']);
  });

  it('will not complete before everything is provided', async () => {
    const { tx, code } = await codeSent();
    expect(aad(() => signUp.complete(env.tenant, tx.id))).toMatchObject({ code: 55200 });
    signUp.verifyCode(env.tenant, tx.id, code);
    expect(aad(() => signUp.complete(env.tenant, tx.id))).toMatchObject({ code: 55200 });
    expect(env.deps.directory.users.findBySignInName(env.tenant.id, 'bob@example.com')).toBeUndefined();
  });

  it('uses a fixed code when the tenant or --otp-code sets one', async () => {
    const fixed = await flowDeps({ fixedCode: '12345678' });
    const service = createSignUpService(fixed.deps);
    const tx = await service.sendCode(fixed.tenant, await service.start(fixed.tenant, DEFAULT.spa, 'dave@example.com'));
    expect(fixed.lastCode('dave@example.com')).toBe('12345678');
    expect(service.verifyCode(fixed.tenant, tx.id, '12345678').verifiedAt).toBeTruthy();
  });
});

describe('sign-up with an email one-time passcode (service)', () => {
  it('needs no password', async () => {
    const { tx, code } = await codeSent('erin@example.com', OTP_SPA);
    signUp.verifyCode(env.tenant, tx.id, code);
    const t = signUp.setAttributes(env.tenant, tx.id, { displayName: 'Erin' });
    expect(signUp.next(env.tenant, t).step).toBe('complete');
    expect(signUp.complete(env.tenant, tx.id).passwordHash).toBeNull();
  });
});
