import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl } from '../testing/oauth.js';

// Issue 10 item 7: Entra's security headers on the hosted pages (nosniff, a referrer policy, no
// framing of interactive sign-in) without breaking silent renewal in a hidden iframe.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });
const base = () => `${emu.url}/${DEFAULT.domain}`;
const webAuthorize = (extra: Record<string, string> = {}) => authorizeUrl(base(), { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, ...extra });

function expectPageHeaders(res: Response) {
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
}

/** Follows the emulator's redirects by hand, returning every response on the way. */
async function chain(browser: HttpBrowser, url: string): Promise<Response[]> {
  const seen: Response[] = [];
  let current = url;
  for (let hops = 0; hops < 20; hops++) {
    const res = await browser.request(current);
    seen.push(res);
    if (res.status < 300 || res.status >= 400) break;
    current = new URL(res.headers.get('location')!, current).href;
    if (!current.startsWith(emu.url)) break;
  }
  return seen;
}

describe('security headers', () => {
  it('protects the interactive sign-in, sign-up and error pages against framing, with nosniff and a referrer policy', async () => {
    const browser = new HttpBrowser(emu.url);
    const signIn = (await chain(browser, webAuthorize())).at(-1)!;
    expect(signIn.status).toBe(200);
    expect(await signIn.text()).toContain('name="password"');
    expectPageHeaders(signIn);
    const signUp = (await chain(new HttpBrowser(emu.url), webAuthorize({ prompt: 'create' }))).at(-1)!;
    expect(signUp.status).toBe(200);
    expectPageHeaders(signUp);
    // oidc-provider's own error page (an unknown client), rendered by the provider, not fastify
    const error = (await chain(new HttpBrowser(emu.url), authorizeUrl(base(), { client_id: '99999999-9999-4999-8999-999999999999', redirect_uri: DEFAULT.webRedirect }))).at(-1)!;
    expect(error.status).toBe(400);
    expectPageHeaders(error);
    // the mailbox page too
    expectPageHeaders(await fetch(`${emu.url}/_emulator/mail`));
  });

  it('lets silent renewal (prompt=none) load in a hidden iframe: no frame options anywhere on its way back to the app', async () => {
    const browser = new HttpBrowser(emu.url);
    await browser.signIn(webAuthorize(), DEFAULT.alice.email, DEFAULT.alice.password);
    const silent = await chain(browser, webAuthorize({ prompt: 'none' }));
    expect(silent.at(-1)!.status).toBeGreaterThanOrEqual(300);
    expect(new URL(silent.at(-1)!.headers.get('location')!, emu.url).searchParams.get('code')).toBeTruthy();
    for (const res of silent) expect(res.headers.get('x-frame-options'), res.url).toBeNull();
    // response_mode=form_post answers prompt=none with an HTML page that posts the code to the app:
    // it is what loads in the hidden iframe, so it carries no frame options either
    const posted = (await chain(browser, webAuthorize({ prompt: 'none', response_mode: 'form_post' }))).at(-1)!;
    expect(posted.status).toBe(200);
    expect(posted.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await posted.text()).toContain(DEFAULT.webRedirect);
    expect(posted.headers.get('x-frame-options')).toBeNull();
    expect(posted.headers.get('x-content-type-options')).toBe('nosniff');
    // the same without prompt=none is an interactive answer, and framing it is refused
    const interactive = (await chain(browser, webAuthorize({ response_mode: 'form_post' }))).at(-1)!;
    expect(interactive.status).toBe(200);
    expect(interactive.headers.get('x-frame-options')).toBe('DENY');
    // and without a session the error goes back to the app, unframed, too
    const anonymous = await chain(new HttpBrowser(emu.url), webAuthorize({ prompt: 'none' }));
    expect(new URL(anonymous.at(-1)!.headers.get('location')!, emu.url).searchParams.get('error')).toBe('login_required');
    for (const res of anonymous) expect(res.headers.get('x-frame-options')).toBeNull();
  });

  it('sends nosniff on the JSON endpoints, without page-only headers', async () => {
    const discovery = await fetch(`${base()}/v2.0/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.headers.get('x-content-type-options')).toBe('nosniff');
    expect(discovery.headers.get('x-frame-options')).toBeNull();
    const control = await fetch(`${emu.url}/_emulator/v1/health`);
    expect(control.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves /favicon.ico', async () => {
    const res = await fetch(`${emu.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    const bytes = Buffer.from(await res.arrayBuffer());
    // an ICO header (reserved 0, type 1) with one image
    expect([...bytes.subarray(0, 6)]).toEqual([0, 0, 1, 0, 1, 0]);
  });
});
