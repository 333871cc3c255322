import { describe, expect, it } from 'vitest';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { startEmulator } from './index.js';
import { HttpBrowser } from './testing/browser.js';
import { TEST_CERTS } from './testing/harness.js';

// The in-process API as a test suite (vitest here; node:test, jest and Playwright alike) uses it.
describe('startEmulator (in-process API)', () => {
  it('starts in well under a second with cached keys, and drives sign-in, mail, time, faults, reset and snapshots', async () => {
    await (await startEmulator({ certs: TEST_CERTS })).stop(); // first start of a machine caches the signing key
    const started = performance.now();
    const emu = await startEmulator({ certs: TEST_CERTS });
    const startMs = performance.now() - started;
    try {
      expect(startMs, `in-process start took ${startMs.toFixed(0)} ms`).toBeLessThan(300 * 3); // goal 300 ms; CI machines are noisy
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

      // faults
      emu.faults.add({ endpoint: 'token', aadsts: 7000215 });
      await expect(cca.acquireTokenByClientCredential({ scopes: ['api://44444444-4444-4444-8444-444444444444/.default'] })).rejects.toMatchObject({ errorCode: 'invalid_client' });
      expect(emu.faults.list()).toEqual([]);

      // snapshot, change, restore; reset
      const snapshot = emu.snapshot();
      await emu.restore(snapshot);
      await emu.reset();
      expect(emu.mail.latest('in-process@example.com')).toBeUndefined();
    } finally {
      await emu.stop();
    }
    expect(Math.abs(Date.now() - new Date().getTime())).toBeLessThan(1000);
  });
});
