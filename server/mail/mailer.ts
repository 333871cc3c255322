import type { Clock, Random } from '../clock.js';
import type { Tenant } from '../directory/index.js';
import type { MailOutbox, StoredMail } from './outbox.js';
import type { MailViews } from './templates.js';
import type { MailKind, MailMessage, MailTransport } from './transport.js';

/** What a flow passes to send a code. */
export interface CodeMail {
  tenant: Tenant;
  to: string;
  code: string;
  /** the user's UI locale (ui_locales); sets `<html lang>`, the wording is English for now */
  locale?: string | undefined;
}

/** The part of a (pino) logger the mailer uses. */
export interface MailLog {
  warn(obj: object, msg: string): void;
}

export interface MailerDeps {
  /** every message lands here first; if it cannot be stored, sending fails */
  outbox: MailOutbox;
  /** relays (SMTP): best effort, in the background; a failure is logged, never thrown */
  transports: MailTransport[];
  views: MailViews;
  clock: Clock;
  random: Random;
  log: MailLog;
}

/**
 * The domain mailer the user flows call: one method per message Entra sends. Each renders the
 * kind's templates with the tenant's branding, stores the message in the outbox (so it can be read
 * at /_emulator/v1/mail before the flow's next page) and relays it to SMTP if configured.
 */
export interface Mailer {
  /** where every message is kept; the control plane and the mailbox page read it */
  readonly outbox: MailOutbox;
  /** the email-with-password sign-up's verification code */
  sendSignUpCode(mail: CodeMail): Promise<StoredMail>;
  /** self-service password reset's code */
  sendResetCode(mail: CodeMail): Promise<StoredMail>;
  /** the email one-time passcode sign-in's code */
  sendSignInCode(mail: CodeMail): Promise<StoredMail>;
  /** resolves once every relay started so far has finished (tests, shutdown) */
  settled(): Promise<void>;
  /** stops relays still in flight and closes the transports */
  close(): Promise<void>;
}

// The sender. A `.localhost` address can never pass for a real domain (least of all Microsoft's)
// if someone points --smtp at a real relay.
const FROM_ADDRESS = 'no-reply@ciam-emulator.localhost';
const ADDRESS = /^[^\s@]+@[^\s@]+$/;
const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;
const HEX_COLOR = /^#[0-9a-fA-F]{3,8}$/;

export function createMailer({ outbox, transports, views, clock, random, log }: MailerDeps): Mailer {
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();

  function relay(transport: MailTransport, message: MailMessage): void {
    const delivery = Promise.resolve()
      .then(() => transport.send(message, stopping.signal))
      .catch((err: unknown) => {
        if (stopping.signal.aborted) return;
        log.warn({ err, transport: transport.name, mailId: message.id, kind: message.kind, to: message.to },
          `could not send mail through ${transport.name}; it is still in the outbox (/_emulator/mail)`);
      })
      .finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  }

  async function send(kind: MailKind, { tenant, to, code, locale }: CodeMail): Promise<StoredMail> {
    // A flow's bug, not a user's typo: flows validate addresses before asking for a code.
    if (!ADDRESS.test(to)) throw new TypeError(`mailer: '${to}' is not an email address`);
    if (!code || /\s/.test(code)) throw new TypeError('mailer: the code must be a non-empty word');
    const rendered = views.render(kind, {
      tenantName: tenant.displayName,
      to,
      code,
      locale: locale && LOCALE.test(locale) ? locale : 'en',
      backgroundColor: tenant.branding.backgroundColor && HEX_COLOR.test(tenant.branding.backgroundColor) ? tenant.branding.backgroundColor : '#f2f4f7',
    });
    const message: MailMessage = {
      id: random.uuid(),
      kind,
      tenantId: tenant.id,
      from: { name: tenant.displayName, address: FROM_ADDRESS },
      to,
      code,
      sentAt: clock.now(),
      ...rendered,
    };
    const stored = outbox.add(message);
    for (const transport of transports) relay(transport, message);
    return stored;
  }

  async function settled(): Promise<void> {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }

  return {
    outbox,
    sendSignUpCode: (mail) => send('sign-up-code', mail),
    sendResetCode: (mail) => send('reset-code', mail),
    sendSignInCode: (mail) => send('sign-in-code', mail),
    settled,
    async close() {
      stopping.abort();
      await settled();
      await Promise.all(transports.map((t) => t.close?.()));
    },
  };
}
