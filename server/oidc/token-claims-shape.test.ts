import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { HttpBrowser } from '../testing/browser.js';
import { authorizeUrl, pkce, postForm } from '../testing/oauth.js';

/**
 * Claim shapes from Microsoft's id-token and access-token claims references (fidelity-gaps.md S12,
 * D9, D10): `sid` is a GUID, a claim without a value is left out, and above 200 groups a JWT carries
 * the groups overage (`_claim_names` / `_claim_sources`) instead of `groups`.
 */
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator(); });
afterAll(async () => { await emu.close(); });

const API = `api://${DEFAULT.api}`;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Alice signs in to the web app (groupMembershipClaims: SecurityGroup) and redeems the code. */
async function webTokens(browser = new HttpBrowser(emu.url)) {
  const { verifier, challenge } = pkce();
  const page = await browser.signIn(
    authorizeUrl(emu.authority, { client_id: DEFAULT.web, redirect_uri: DEFAULT.webRedirect, scope: `openid profile offline_access ${API}/ToDoList.Read`, code_challenge: challenge, code_challenge_method: 'S256' }),
    DEFAULT.alice.email, DEFAULT.alice.password);
  const code = new URL(page.url).searchParams.get('code');
  expect(code, page.url).toBeTruthy();
  const r = await postForm(`${emu.authority}/oauth2/v2.0/token`, {
    client_id: DEFAULT.web, client_secret: DEFAULT.webSecret, grant_type: 'authorization_code', code: code!, redirect_uri: DEFAULT.webRedirect, code_verifier: verifier,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { id: decodeJwt(String(r.body.id_token)), access: decodeJwt(String(r.body.access_token)) };
}

function addGroups(count: number, prefix: string): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${String(i).padStart(12, '0')}`;
    emu.directory.groups.upsert(DEFAULT.tenantId, { id, displayName: `g${i}`, description: null, mailNickname: `g${prefix}${i}`, mailEnabled: false, securityEnabled: true }, Date.now());
    emu.directory.groups.addMember(DEFAULT.tenantId, id, DEFAULT.alice.id);
    ids.push(id);
  }
  return ids;
}

describe('token claim shapes', () => {
  it('gives the id_token a GUID sid (Entra: "String, a GUID")', async () => {
    const { id } = await webTokens();
    expect(id.sid).toMatch(GUID);
  });

  it('gives every app of one browser session the same sid, as Entra (one session id, sent to each app at logout)', async () => {
    const browser = new HttpBrowser(emu.url);
    const { id: web } = await webTokens(browser);
    const { verifier, challenge } = pkce();
    const page = await browser.signIn(
      authorizeUrl(emu.authority, { client_id: DEFAULT.spa, redirect_uri: 'http://localhost:3000', scope: 'openid profile', code_challenge: challenge, code_challenge_method: 'S256' }),
      DEFAULT.alice.email, DEFAULT.alice.password);
    const code = new URL(page.url).searchParams.get('code');
    expect(code, page.url).toBeTruthy();
    const r = await postForm(`${emu.authority}/oauth2/v2.0/token`, { client_id: DEFAULT.spa, grant_type: 'authorization_code', code: code!, redirect_uri: 'http://localhost:3000', code_verifier: verifier }, { origin: 'http://localhost:3000' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const spa = decodeJwt(String(r.body.id_token));
    expect(spa.sid).toMatch(GUID);
    expect(spa.sid).toBe(web.sid);
    // another browser is another session
    expect((await webTokens()).id.sid).not.toBe(web.sid);
  });

  it('leaves out groups when the user is in no group, and never carries an empty value', async () => {
    const { id, access } = await webTokens();
    for (const token of [id, access]) {
      expect(token).not.toHaveProperty('groups');
      expect(token).not.toHaveProperty('_claim_names');
      for (const [claim, value] of Object.entries(token)) {
        expect(value === '' || (Array.isArray(value) && value.length === 0), `${claim} is empty`).toBe(false);
      }
    }
  });

  it('lists all 200 groups in the JWTs at the 200-group limit', async () => {
    const ids = addGroups(200, 'aaaaaaaa-0000-4000-8000-');
    const { id, access } = await webTokens();
    expect((id.groups as string[]).sort()).toEqual(ids.sort());
    expect((access.groups as string[]).sort()).toEqual(ids.sort());
    expect(id).not.toHaveProperty('_claim_names');
    expect(access).not.toHaveProperty('_claim_names');
  });

  it('answers 201 groups with the overage claim (_claim_names / _claim_sources) instead of groups', async () => {
    addGroups(1, 'bbbbbbbb-0000-4000-8000-');
    const { id, access } = await webTokens();
    const overage = {
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: `https://graph.microsoft.com/v1.0/users/${DEFAULT.alice.id}/getMemberObjects` } },
    };
    for (const token of [id, access]) {
      expect(token).not.toHaveProperty('groups');
      expect(token).toMatchObject(overage);
    }
  });
});
