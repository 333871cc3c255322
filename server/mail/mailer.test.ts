import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, type Random } from '../clock.js';
import { openDatabase, type Db } from '../db/connection.js';
import { migrate } from '../db/migrate.js';
import { createDirectory, type Tenant } from '../directory/index.js';
import { createMailer, type MailLog, type Mailer } from './mailer.js';
import { MailOutbox } from './outbox.js';
import { createMailViews } from './templates.js';
import type { MailMessage, MailTransport } from './transport.js';

const TENANT_ID = '11111111-1111-4111-8111-111111111111';
const START = new Date('2026-03-01T09:30:00.000Z');

let db: Db;
let clock: ManualClock;
let warnings: { obj: object; msg: string }[];

function sequentialRandom(): Random {
  let n = 0;
  return { uuid: () => `mail-${++n}`, token: () => `token-${++n}` };
}

function tenantNamed(displayName: string, branding: Tenant['branding'] = {}): Tenant {
  createDirectory(db).tenants.upsert({ id: TENANT_ID, subdomain: 'contoso', defaultDomain: 'contoso.onmicrosoft.com', displayName, b2cExtensionsAppId: null, branding, fixedCodes: {} }, 0, () => 'k');
  return createDirectory(db).tenants.get(TENANT_ID)!;
}

function mailerWith(transports: MailTransport[] = []): Mailer {
  const log: MailLog = { warn: (obj, msg) => warnings.push({ obj, msg }) };
  return createMailer({ outbox: new MailOutbox(db), transports, views: createMailViews(), clock, random: sequentialRandom(), log });
}

beforeEach(() => {
  db = openDatabase(':memory:');
  migrate(db);
  clock = new ManualClock(START);
  warnings = [];
});
afterEach(() => db.close());

describe('mailer', () => {
  it.each([
    ['sign-up', 'sendSignUpCode', 'Contoso account email verification code', ['Verify your email address', 'Thanks for verifying your alice@contoso.com account!']],
    ['password reset', 'sendResetCode', 'Contoso account password reset code', ['Reset your password', 'reset the password of your alice@contoso.com account']],
    ['sign-in', 'sendSignInCode', 'Contoso account sign-in code', ['Your sign-in code', 'sign in to your alice@contoso.com account']],
  ] as const)('renders the %s code with the tenant\'s name and keeps it in the outbox with the code', async (_name, method, subject, lines) => {
    const mailer = mailerWith();
    const sent = await mailer[method]({ tenant: tenantNamed('Contoso'), to: 'alice@contoso.com', code: '12345678' });

    const stored = mailer.outbox.get(sent.id)!;
    expect(stored).toMatchObject({ id: 'mail-1', tenantId: TENANT_ID, to: 'alice@contoso.com', subject, code: '12345678', receivedAt: START });
    for (const body of [stored.text, stored.html]) {
      expect(body).toContain('Your code is:');
      expect(body).toContain('12345678');
      for (const line of lines) expect(body).toContain(line);
    }
    expect(stored.text).toContain('\n\nYour code is: 12345678\n\n');
    expect(stored.text).toMatch(/\n\nSincerely,\nContoso\n$/);
    expect(stored.html).toMatch(/^<!DOCTYPE html>/);
    expect(stored.html).toContain('<title>' + subject + '</title>');
  });

  it('escapes the tenant\'s name in the HTML body, and keeps it as typed in the subject and text', async () => {
    const mailer = mailerWith();
    const name = 'Evil <script>alert(1)</script> & "Co"\r\nBcc: x@evil.test';
    const sent = await mailer.sendSignUpCode({ tenant: tenantNamed(name), to: 'alice@contoso.com', code: '12345678' });

    expect(sent.html).not.toContain('<script>');
    expect(sent.html).toContain('Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;');
    expect(sent.text).toContain('Sincerely,\nEvil <script>alert(1)</script> & "Co"');
    // A subject is one header line, whatever the name holds.
    expect(sent.subject).toBe('Evil <script>alert(1)</script> & "Co" Bcc: x@evil.test account email verification code');
  });

  it('uses the tenant\'s branding colour and the user\'s locale only when they are what they claim', async () => {
    const mailer = mailerWith();
    const good = await mailer.sendSignUpCode({ tenant: tenantNamed('Contoso', { backgroundColor: '#123abc' }), to: 'a@b.test', code: '1', locale: 'fr-CA' });
    expect(good.html).toContain('background:#123abc;');
    expect(good.html).toContain('<html lang="fr-CA">');

    const bad = await mailer.sendSignUpCode({ tenant: tenantNamed('Contoso', { backgroundColor: 'red;background:url(x)' }), to: 'a@b.test', code: '1', locale: '"><x' });
    expect(bad.html).not.toContain('url(x)');
    expect(bad.html).toContain('<html lang="en">');
  });

  it('refuses an address that is not one, or an empty code: a flow bug, not a user typo', async () => {
    const mailer = mailerWith();
    const tenant = tenantNamed('Contoso');
    await expect(mailer.sendSignUpCode({ tenant, to: 'alice', code: '1' })).rejects.toThrow(TypeError);
    await expect(mailer.sendSignUpCode({ tenant, to: 'alice@contoso.com\r\nBcc: x@y', code: '1' })).rejects.toThrow(TypeError);
    await expect(mailer.sendSignUpCode({ tenant, to: 'alice@contoso.com', code: '' })).rejects.toThrow(TypeError);
    expect(mailer.outbox.list({ top: 10 })).toEqual([]);
  });

  it('hands every transport the rendered message, after the outbox has it', async () => {
    const seen: { message: MailMessage; inOutbox: boolean }[] = [];
    const outbox = new MailOutbox(db);
    const mailer = createMailer({
      outbox, views: createMailViews(), clock, random: sequentialRandom(), log: { warn: () => {} },
      transports: [{ name: 'spy', send: async (message) => { seen.push({ message, inOutbox: !!outbox.get(message.id) }); } }],
    });
    await mailer.sendResetCode({ tenant: tenantNamed('Contoso'), to: 'Alice@Contoso.com', code: '87654321' });
    await mailer.settled();

    expect(seen).toHaveLength(1);
    expect(seen[0]!.inOutbox).toBe(true);
    expect(seen[0]!.message).toMatchObject({
      id: 'mail-1', kind: 'reset-code', tenantId: TENANT_ID, to: 'Alice@Contoso.com', code: '87654321', sentAt: START,
      from: { name: 'Contoso', address: 'no-reply@ciam-emulator.localhost' }, subject: 'Contoso account password reset code',
    });
  });

  it('logs a relay that fails, and the flow carries on with the message in the outbox', async () => {
    const mailer = mailerWith([{ name: 'broken', send: async () => { throw new Error('relay down'); } }]);
    const sent = await mailer.sendSignInCode({ tenant: tenantNamed('Contoso'), to: 'alice@contoso.com', code: '12345678' });
    await mailer.settled();

    expect(mailer.outbox.get(sent.id)?.code).toBe('12345678');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('could not send mail through broken');
    expect(warnings[0]!.obj).toMatchObject({ transport: 'broken', mailId: sent.id, kind: 'sign-in-code' });
  });

  it('does not make a flow wait for a slow relay, and stops it quietly at close', async () => {
    let closed = false;
    const hanging: MailTransport = {
      name: 'hanging',
      send: (_m, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      close: () => { closed = true; },
    };
    const mailer = mailerWith([hanging]);
    const sent = await mailer.sendSignUpCode({ tenant: tenantNamed('Contoso'), to: 'alice@contoso.com', code: '12345678' });
    expect(mailer.outbox.get(sent.id)).toBeDefined();

    await mailer.close();
    expect(closed).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('lists newest first, tells addresses apart in any case, and clears by address', async () => {
    const mailer = mailerWith();
    const tenant = tenantNamed('Contoso');
    await mailer.sendSignUpCode({ tenant, to: 'alice@contoso.com', code: '1' });
    await mailer.sendSignUpCode({ tenant, to: 'bob@contoso.com', code: '2' });
    await mailer.sendResetCode({ tenant, to: 'ALICE@contoso.com', code: '3' }); // same millisecond: order still holds
    clock.advance(1000);
    await mailer.sendSignInCode({ tenant, to: 'alice@contoso.com', code: '4' });

    expect(mailer.outbox.list({ top: 50 }).map((m) => m.code)).toEqual(['4', '3', '2', '1']);
    expect(mailer.outbox.list({ to: 'Alice@Contoso.COM', top: 50 }).map((m) => m.code)).toEqual(['4', '3', '1']);
    expect(mailer.outbox.list({ to: 'alice@contoso.com', top: 2 }).map((m) => m.code)).toEqual(['4', '3']);
    expect(mailer.outbox.clear('alice@CONTOSO.com')).toBe(3);
    expect(mailer.outbox.list({ top: 50 }).map((m) => m.code)).toEqual(['2']);
  });
});
