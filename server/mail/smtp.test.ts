import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { ManualClock, cryptoRandom } from '../clock.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase, type Db } from '../db/connection.js';
import { migrate } from '../db/migrate.js';
import { createDirectory } from '../directory/index.js';
import { DEFAULT, freePort, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { createMailer, type MailLog } from './mailer.js';
import { MailOutbox } from './outbox.js';
import { createSmtpTransport } from './smtp.js';
import { createMailViews } from './templates.js';

// A real SMTP server in this process (the `smtp-server` package, which Mailpit-like catchers are
// built on), listening on a free loopback port: the relay is tested over the wire, not mocked.
interface Received {
  from: string;
  to: string[];
  raw: string;
}

let smtp: SMTPServer;
let smtpPort: number;
let inbox: Received[];

beforeAll(async () => {
  smtpPort = await freePort();
  smtp = new SMTPServer({
    // Like a local mail catcher: no login, no STARTTLS with a self-signed certificate.
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        inbox.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(smtpPort, '127.0.0.1', () => resolve());
  });
});
afterAll(async () => { await new Promise<void>((resolve) => smtp.close(() => resolve())); });

/** The headers of a raw message, unfolded, by lower-case name. */
function headers(raw: string): Record<string, string> {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  return Object.fromEntries(head.split('\r\n').map((line) => {
    const i = line.indexOf(':');
    return [line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()];
  }));
}

describe('SMTP relay through a started emulator (--smtp)', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    inbox = [];
    emu = await startTestEmulator({ args: ['--smtp', `smtp://127.0.0.1:${smtpPort}`] });
  });
  afterAll(async () => { await emu.close(); });

  it('delivers the code mail with the right envelope, subject and text, and keeps it in the outbox', async () => {
    const tenant = emu.directory.tenants.get(DEFAULT.tenantId)!;
    const sent = await emu.mailer.sendSignUpCode({ tenant, to: 'alice@contoso.com', code: '12345678' });
    await emu.mailer.settled();

    expect(inbox).toHaveLength(1);
    const mail = inbox[0]!;
    expect(mail.to).toEqual(['alice@contoso.com']);
    expect(mail.from).toBe('no-reply@ciam-emulator.localhost');
    const h = headers(mail.raw);
    expect(h.subject).toBe('Contoso account email verification code');
    expect(h.to).toBe('alice@contoso.com');
    expect(h.from).toBe('Contoso <no-reply@ciam-emulator.localhost>');
    expect(h['message-id']).toBe(`<${sent.id}@ciam-emulator.localhost>`);
    expect(h['x-ciam-emulator-kind']).toBe('sign-up-code');
    expect(h['content-type']).toMatch(/^multipart\/alternative/);
    expect(mail.raw).toContain('Thanks for verifying your alice@contoso.com account!');
    expect(mail.raw).toContain('Your code is: 12345678');

    const res = await fetch(`${emu.url}/_emulator/v1/mail/${sent.id}`);
    expect(await res.json()).toMatchObject({ to: 'alice@contoso.com', code: '12345678' });
  });
});

describe('SMTP relay that cannot connect', () => {
  let db: Db;
  beforeAll(() => {
    db = openDatabase(':memory:');
    migrate(db);
    createDirectory(db).tenants.upsert({ id: DEFAULT.tenantId, subdomain: 'contoso', defaultDomain: DEFAULT.domain, displayName: 'Contoso', b2cExtensionsAppId: null, branding: {}, fixedCodes: {} }, 0, () => 'k');
  });
  afterAll(() => db.close());

  it('logs a warning, and the flow goes on with the message in the outbox', async () => {
    const nobodyListens = await freePort();
    const warnings: { obj: object; msg: string }[] = [];
    const log: MailLog = { warn: (obj, msg) => warnings.push({ obj, msg }) };
    const mailer = createMailer({
      outbox: new MailOutbox(db), transports: [createSmtpTransport(`smtp://127.0.0.1:${nobodyListens}`)],
      views: createMailViews(), clock: new ManualClock(), random: cryptoRandom, log,
    });

    const sent = await mailer.sendResetCode({ tenant: createDirectory(db).tenants.get(DEFAULT.tenantId)!, to: 'alice@contoso.com', code: '24681357' });
    await mailer.settled();
    await mailer.close();

    expect(mailer.outbox.get(sent.id)).toMatchObject({ code: '24681357', subject: 'Contoso account password reset code' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain(`could not send mail through smtp smtp://127.0.0.1:${nobodyListens}`);
    expect(String((warnings[0]!.obj as { err: Error }).err)).toMatch(/ECONNREFUSED/);
  });
});

describe('--smtp', () => {
  it('is read from the flag or CIAM_SMTP, and is off by default', () => {
    expect(loadConfig([], {}).smtp).toBeUndefined();
    expect(loadConfig([], { CIAM_SMTP: 'smtp://localhost:1025' }).smtp).toBe('smtp://localhost:1025');
    expect(loadConfig(['--smtp', 'smtps://u:p@mail.test:465'], { CIAM_SMTP: 'smtp://localhost:1025' }).smtp).toBe('smtps://u:p@mail.test:465');
  });

  it.each(['localhost:1025', 'http://localhost:1025', 'smtp://', 'not a url'])('refuses %j with a clear message', (value) => {
    expect(() => loadConfig(['--smtp', value], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--smtp', value], {})).toThrow('--smtp must be an smtp:// or smtps:// URL');
  });

  it('does not repeat a refused URL, which may hold a password', () => {
    expect(() => loadConfig(['--smtp', 'http://user:s3cret@mail.test'], {})).toThrow(/^(?!.*s3cret)/s);
  });
});
