import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl } from '../testing/oauth.js';

/**
 * The id-token claims reference: in the implicit flow `hasgroups: true` replaces `groups` once the
 * full claim would make the URL fragment too long ("currently six or more groups").
 */
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

function addGroups(from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const id = `cccccccc-0000-4000-8000-${String(i).padStart(12, '0')}`;
    emu.directory.groups.upsert(DEFAULT.tenantId, { id, displayName: `g${i}`, description: null, mailNickname: `g${i}`, mailEnabled: false, securityEnabled: true }, Date.now());
    emu.directory.groups.addMember(DEFAULT.tenantId, id, DEFAULT.alice.id);
  }
}

/** Microsoft.Identity.Web's default: implicit id_token by form_post, to the web app. */
async function implicitIdToken() {
  const page = await new HttpBrowser(emu.url).signIn(
    authorizeUrl(emu.authority, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, response_type: 'id_token', response_mode: 'form_post', scope: 'openid profile', nonce: 'n1' }),
    DEFAULT.alice.email, DEFAULT.alice.password);
  const token = /name="id_token" value="([^"]+)"/.exec(page.html)?.[1];
  expect(token, page.html.slice(0, 500)).toBeTruthy();
  return decodeJwt(token!);
}

describe('implicit-flow groups: hasgroups', () => {
  it('lists 5 groups in an implicit id_token', async () => {
    addGroups(0, 5);
    const id = await implicitIdToken();
    expect((id.groups as string[]).length).toBe(5);
    expect(id).not.toHaveProperty('hasgroups');
  });

  it('answers 6 groups with hasgroups: true and no groups claim', async () => {
    addGroups(5, 6);
    const id = await implicitIdToken();
    expect(id.hasgroups).toBe(true);
    expect(id).not.toHaveProperty('groups');
  });
});
