import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT } from '../../testing/harness.js';
import { flowDeps } from '../../testing/flow-services.js';
import { createSignInService } from '../sign-in/service.js';
import { createPasswordResetService } from './service.js';

let env: Awaited<ReturnType<typeof flowDeps>>;
beforeEach(async () => { env = await flowDeps(); });

describe('self-service password reset (service)', () => {
  it('sets a new password after the emailed code, ends a lockout, and allows reusing the last password', async () => {
    const reset = createPasswordResetService(env.deps);
    const signIn = createSignInService(env.deps);
    env.deps.directory.users.saveLockoutState(env.tenant.id, DEFAULT.alice.id, { failedSignIns: 0, lockoutUntil: env.clock.nowMs() + 60_000, recentBadPasswords: [] });
    await expect(signIn.signInWithPassword(env.tenant, DEFAULT.alice.email, DEFAULT.alice.password)).rejects.toMatchObject({ code: 50053 });

    const tx = await reset.sendCode(env.tenant, reset.start(env.tenant, DEFAULT.spa, DEFAULT.alice.email));
    reset.verifyCode(env.tenant, tx.id, env.lastCode(DEFAULT.alice.email)!);
    await reset.resetPassword(env.tenant, tx.id, DEFAULT.alice.password); // the same password again: allowed on reset
    await expect(signIn.signInWithPassword(env.tenant, DEFAULT.alice.email, DEFAULT.alice.password)).resolves.toMatchObject({ id: DEFAULT.alice.id });
  });

  it('refuses an unknown email (AADSTS50034) and a new password before the code', async () => {
    const reset = createPasswordResetService(env.deps);
    expect(() => reset.start(env.tenant, DEFAULT.spa, 'nobody@example.com')).toThrow(expect.objectContaining({ code: 50034 }));
    const tx = await reset.sendCode(env.tenant, reset.start(env.tenant, DEFAULT.spa, DEFAULT.alice.email));
    await expect(reset.resetPassword(env.tenant, tx.id, 'N3w-passw0rd')).rejects.toMatchObject({ code: 55200 });
    reset.verifyCode(env.tenant, tx.id, env.lastCode(DEFAULT.alice.email)!);
    await expect(reset.resetPassword(env.tenant, tx.id, 'weak')).rejects.toMatchObject({ code: 399246, suberror: 'password_too_short' });
  });
});
