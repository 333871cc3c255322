import { describe, expect, it } from 'vitest';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { startEmulator } from './index.js';
import { HttpBrowser } from './testing/browser.js';
import { TEST_CERTS } from './testing/harness.js';

// The in-process API as a test suite (vitest here; node:test, jest and Playwright alike) uses it.
// How fast it starts (goal 300 ms with cached keys) is measured in bench/control-plane.ts.
describe('startEmulator (in-process API)', () => {
  it('starts, and drives sign-in, mail, time, faults, reset and snapshots', async () => {
    const emu = await startEmulator({ certs: TEST_CERTS });
    try {
      expect(emu.authority).toBe(`${emu.url}/contoso.onmicrosoft.com`);

      // login-as: the next /authorize signs Alice in without the form; msal-node redeems a real code
      const cca = new ConfidentialClientApplication({ auth: { clientId: '33333333-3333-4333-8333-333333333333', clientSecret: 'web-app-secret', authority: emu.authority, knownAuthorities: [emu.knownAuthority] } });
      const browser = new HttpBrowser(emu.url);
      const cookie = emu.loginAs({ email: 'alice@contoso.com' });
      await browser.jar.setCookie(`${cookie.name}=${cookie.value}; Path=/`, emu.url);
      const landed = await browser.go(await cca.getAuthCodeUrl({ scopes: ['openid'], redirectUri: 'http://localhost:3001/auth/redirect' }));
      const code = new URL(landed.url).searchParams.get('code')!;
      const result = await cca.acquireTokenByCode({ code, scopes: ['openid'], redirectUri: 'http://localhost:3001/auth/redirect' });
      expect(result.account?.username).toBe('alice@contoso.com');

      // mail: codes without parsing messages
      const tenant = emu.emulator.registry.resolve('contoso')!.tenant;
      const tx = await emu.emulator.flows.signUp.sendCode(tenant, await emu.emulator.flows.signUp.start(tenant, '33333333-3333-4333-8333-333333333333', 'in-process@example.com'));
      expect(emu.mail.latest('in-process@example.com')?.code).toMatch(/^\d{8}$/);

      // time travel expires the code
      emu.clock.advance('PT11M');
      expect(() => emu.emulator.flows.signUp.verifyCode(tenant, tx.id, emu.mail.latest('in-process@example.com')!.code!)).toThrow(expect.objectContaining({ code: 552003 }));
      emu.clock.reset();
      // a sign-up under way before the snapshot, finished after it (below)
      const tx2 = await emu.emulator.flows.signUp.sendCode(tenant, await emu.emulator.flows.signUp.start(tenant, '33333333-3333-4333-8333-333333333333', 'after-snapshot@example.com', { password: 'Str0ng-passw0rd' }));

      // faults
      emu.faults.add({ endpoint: 'token', aadsts: 7000215 });
      await expect(cca.acquireTokenByClientCredential({ scopes: ['api://44444444-4444-4444-8444-444444444444/.default'] })).rejects.toMatchObject({ errorCode: 'invalid_client' });
      expect(emu.faults.list()).toEqual([]);

      // snapshot, change, restore: the change is undone
      const users = emu.emulator.directory.users;
      const aliceId = users.findBySignInName(tenant.id, 'alice@contoso.com')!.id;
      const snapshot = emu.snapshot();
      users.saveLockoutState(tenant.id, aliceId, { failedSignIns: 4, lockoutUntil: null, recentBadPasswords: [] });
      emu.emulator.flows.signUp.verifyCode(tenant, tx2.id, emu.mail.latest('after-snapshot@example.com')!.code!);
      emu.emulator.flows.signUp.setAttributes(tenant, tx2.id, { displayName: 'After Snapshot', country: 'Other' });
      emu.emulator.flows.signUp.complete(tenant, tx2.id);
      expect(users.findById(tenant.id, aliceId)!.failedSignIns).toBe(4);
      expect(users.findBySignInName(tenant.id, 'after-snapshot@example.com')).toBeTruthy();
      await emu.restore(snapshot);
      expect(users.findById(tenant.id, aliceId)!.failedSignIns).toBe(0);
      expect(users.findBySignInName(tenant.id, 'after-snapshot@example.com')).toBeUndefined();

      // reset drops what the fixtures do not have: mail, customers
      await emu.emulator.flows.signUp.sendCode(tenant, await emu.emulator.flows.signUp.start(tenant, '33333333-3333-4333-8333-333333333333', 'before-reset@example.com'));
      expect(emu.mail.latest('before-reset@example.com')?.code).toMatch(/^\d{8}$/);
      users.saveLockoutState(tenant.id, aliceId, { failedSignIns: 3, lockoutUntil: null, recentBadPasswords: [] });
      await emu.reset();
      expect(emu.mail.latest('before-reset@example.com')).toBeUndefined();
      expect(users.findById(tenant.id, aliceId)!.failedSignIns).toBe(0);
    } finally {
      await emu.stop();
    }
    expect(Math.abs(Date.now() - new Date().getTime())).toBeLessThan(1000);
  });
});
