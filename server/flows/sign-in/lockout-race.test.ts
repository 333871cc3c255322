import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { DEFAULT, countingHasher, startTestEmulator, type TestEmulator } from '../../testing/harness.js';
import { HttpBrowser } from '../../testing/browser.js';
import { authorizeUrl } from '../../testing/oauth.js';

// Smart lockout on the hosted sign-in page when guesses arrive in parallel (issue 10, item 2):
// Entra locks after 10 failures (howto-password-smart-lockout), so no more than 10 guesses may
// ever reach the password check. The emulator counts argon2 verifications through an injected hasher.
let emu: TestEmulator;
const clock = new ManualClock();
const hasher = countingHasher();

beforeAll(async () => { emu = await startTestEmulator({ clock, hasher }); });
afterAll(async () => { await emu.close(); });

const webAuthorize = () => authorizeUrl(`${emu.url}/${DEFAULT.domain}`, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect });
const aadCode = (html: string) => /AADSTS(\d+)/.exec(html)?.[1];

describe('hosted sign-in page: smart lockout under parallel guesses', () => {
  it('checks exactly 10 of 100 parallel wrong passwords (10 × AADSTS50126, 90 × AADSTS50053); the right one is refused at 59 s and accepted at 61 s', async () => {
    const email = 'page-guesses@example.com';
    const password = 'Corr3ct-horse';
    emu.directory.users.upsert(DEFAULT.tenantId, {
      id: crypto.randomUUID(), displayName: 'Guessed', givenName: null, surname: null, mail: email, city: null, country: null, state: null,
      postalCode: null, streetAddress: null, jobTitle: null, companyName: null, accountEnabled: true, userType: 'Member',
      creationType: 'LocalAccount', passwordHash: await hasher.hash(password), forceChangePassword: false,
      identities: [{ signInType: 'emailAddress', issuer: DEFAULT.domain, issuerAssignedId: email }],
    }, clock.nowMs());

    // Each guess is its own browser on the sign-in form; all forms are loaded, then all submitted at once.
    const forms = await Promise.all(Array.from({ length: 100 }, async () => {
      const browser = new HttpBrowser(emu.url);
      return { browser, page: await browser.go(webAuthorize()) };
    }));
    const before = hasher.verifications;
    const pages = await Promise.all(forms.map(({ browser, page }, i) => browser.submit(page, { email, password: `wrong-guess-${i}` })));
    const counts: Record<string, number> = {};
    for (const p of pages) counts[`${p.status} AADSTS${aadCode(p.html)}`] = (counts[`${p.status} AADSTS${aadCode(p.html)}`] ?? 0) + 1;
    expect(counts).toEqual({ '400 AADSTS50126': 10, '400 AADSTS50053': 90 });
    expect(hasher.verifications - before).toBe(10);

    clock.advance(59_000);
    const early = await new HttpBrowser(emu.url).signIn(webAuthorize(), email, password);
    expect(aadCode(early.html), `${early.status} ${early.url}\n${early.html.slice(0, 1500)}`).toBe('50053');
    expect(hasher.verifications - before).toBe(10);

    clock.advance(2_000);
    const ok = await new HttpBrowser(emu.url).signIn(webAuthorize(), email, password);
    expect(ok.url.startsWith(DEFAULT.webRedirect)).toBe(true);
    expect(hasher.verifications - before).toBe(11);
  }, 60_000); // 100 sign-in forms are loaded first: far slower than one sign-in
});
