import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { Tenant } from '../directory/index.js';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';

// The outbox over HTTP, on a real started emulator; mail is produced the way the flows will
// produce it, through `emu.mailer`.
let emu: TestEmulator;
let tenant: Tenant;
const clock = new ManualClock(new Date('2026-03-01T09:30:00.000Z'));

beforeAll(async () => {
  emu = await startTestEmulator({ clock });
  tenant = emu.directory.tenants.get(DEFAULT.tenantId)!;
});
afterAll(async () => { await emu.close(); });
beforeEach(async () => {
  expect((await fetch(`${emu.url}/_emulator/v1/mail`, { method: 'DELETE' })).status).toBe(204);
});

interface MailJson { id: string; to: string; subject: string; text: string; html: string; receivedAt: string; code?: string; kind: string; tenantId: string }
const list = async (query = '') => (await (await fetch(`${emu.url}/_emulator/v1/mail${query}`)).json()) as { value: MailJson[] };

/** alice, bob, ALICE, alice, one second apart: codes 1 to 4. */
async function sendFour() {
  const sent = [];
  for (const [i, to] of ['alice@contoso.com', 'bob@contoso.com', 'ALICE@contoso.com', 'alice@contoso.com'].entries()) {
    sent.push(await emu.mailer.sendSignUpCode({ tenant, to, code: String(i + 1) }));
    clock.advance(1000);
  }
  return sent;
}

describe('control plane: /_emulator/v1/mail', () => {
  it('lists every message newest first, with the code and an ISO time', async () => {
    const sent = await sendFour();
    const { value } = await list();
    expect(value.map((m) => m.code)).toEqual(['4', '3', '2', '1']);
    expect(value[0]).toEqual({
      id: sent[3]!.id, tenantId: DEFAULT.tenantId, kind: 'sign-up-code', to: 'alice@contoso.com',
      subject: 'Contoso account email verification code', text: sent[3]!.text, html: sent[3]!.html,
      receivedAt: sent[3]!.receivedAt.toISOString(), code: '4',
    });
    expect(value[0]!.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('filters by address in any case, and honours top', async () => {
    await sendFour();
    expect((await list('?to=Alice%40Contoso.COM')).value.map((m) => m.code)).toEqual(['4', '3', '1']);
    expect((await list('?to=alice%40contoso.com&top=1')).value.map((m) => m.code)).toEqual(['4']);
    expect((await list('?to=nobody%40contoso.com')).value).toEqual([]);
    expect((await list('?top=2')).value.map((m) => m.code)).toEqual(['4', '3']);
  });

  it('answers 50 at most unless asked for more', async () => {
    for (let i = 0; i < 51; i++) await emu.mailer.sendSignInCode({ tenant, to: 'many@contoso.com', code: String(i) });
    expect((await list()).value).toHaveLength(50);
    expect((await list('?top=100')).value).toHaveLength(51);
  });

  it.each(['0', '101', 'abc', '1.5'])('answers top=%s with 400 BadRequest', async (top) => {
    const res = await fetch(`${emu.url}/_emulator/v1/mail?top=${top}`);
    expect(res.status).toBe(400);
    const body = await res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BadRequest');
    expect(body.error.message).toMatch(/top/);
  });

  it('gets one message by id, and answers 404 for an unknown one and 400 for a malformed one', async () => {
    const [first] = await sendFour();
    const res = await fetch(`${emu.url}/_emulator/v1/mail/${first!.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: first!.id, to: 'alice@contoso.com', code: '1' });

    const missing = await fetch(`${emu.url}/_emulator/v1/mail/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'NotFound', message: "There is no mail with id '00000000-0000-4000-8000-000000000000' in the outbox." } });

    const malformed = await fetch(`${emu.url}/_emulator/v1/mail/${'x'.repeat(65)}`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('BadRequest');
  });

  it('deletes the mail of one address (any case), then all of it', async () => {
    await sendFour();
    const one = await fetch(`${emu.url}/_emulator/v1/mail?to=ALICE%40contoso.com`, { method: 'DELETE' });
    expect(one.status).toBe(204);
    expect(await one.text()).toBe('');
    expect((await list()).value.map((m) => m.to)).toEqual(['bob@contoso.com']);

    expect((await fetch(`${emu.url}/_emulator/v1/mail`, { method: 'DELETE' })).status).toBe(204);
    expect((await list()).value).toEqual([]);
  });
});

describe('mailbox page: /_emulator/mail', () => {
  it('lists messages newest first with address, subject and time, linking to each', async () => {
    const sent = await sendFour();
    const res = await fetch(`${emu.url}/_emulator/mail`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('href="/_emulator/static/mailbox.css"');
    const links = [...html.matchAll(/href="\/_emulator\/mail\/([\w-]+)"/g)].map((m) => m[1]);
    expect(links).toEqual(sent.map((m) => m.id).reverse());
    expect(html).toContain('Contoso account email verification code');
    expect(html).toContain('bob@contoso.com');
    const iso = sent[0]!.receivedAt.toISOString();
    expect(html).toContain(`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC</time>`);
  });

  it('filters by address, and says so when there is nothing', async () => {
    await sendFour();
    const html = await (await fetch(`${emu.url}/_emulator/mail?to=BOB%40contoso.com`)).text();
    expect(html.match(/href="\/_emulator\/mail\/[\w-]+"/g)).toHaveLength(1);
    expect(await (await fetch(`${emu.url}/_emulator/mail?to=nobody%40contoso.com`)).text()).toContain('data-testid="mailbox-empty"');
  });

  it('shows one message: the code, the text, and the HTML in a sandboxed frame', async () => {
    const sent = await emu.mailer.sendResetCode({ tenant, to: 'alice@contoso.com', code: '13572468' });
    const res = await fetch(`${emu.url}/_emulator/mail/${sent.id}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1 id="page-title">Contoso account password reset code</h1>');
    expect(html).toContain('<strong data-testid="mail-code">13572468</strong>');
    expect(html).toContain('Your code is: 13572468');
    const frame = html.match(/<iframe [^>]*>/)![0];
    expect(frame).toMatch(/ sandbox /);
    // The mail's HTML is an attribute value: escaped once, so nothing of it is markup of this page.
    expect(frame).toContain('srcdoc="&lt;!DOCTYPE html&gt;');
    expect(html).not.toContain('<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n  <meta name="viewport" content="width=device-width, initial-scale=1">\n  <title>Contoso account password reset code');
  });

  it('answers an unknown or malformed id with a 404 page', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'a%20b']) {
      const res = await fetch(`${emu.url}/_emulator/mail/${id}`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('Mail not found');
    }
  });
});
