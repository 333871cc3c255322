import type { Transporter } from 'nodemailer';
import type { MailTransport } from './transport.js';

/**
 * Relays each message to an SMTP server (`--smtp smtp://host:port`): a mail catcher such as
 * Mailpit or smtp4dev, or a real relay. The URL may carry credentials (`smtp://user:pass@host`),
 * `smtps://` for implicit TLS, and nodemailer's URL options (`?ignoreTLS=true`,
 * `?tls.rejectUnauthorized=false`).
 */
export function createSmtpTransport(url: string): MailTransport {
  // nodemailer is loaded with the first message, so emulators without --smtp never pay for it at start.
  let transporter: Promise<Transporter> | undefined;
  const connect = () => (transporter ??= import('nodemailer').then(({ createTransport }) => createTransport({
    url,
    // A mail server that is down or mistyped should fail within seconds, not nodemailer's default
    // two minutes: the warning comes while someone is still looking, and shutdown is not held up.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  })));
  return {
    name: `smtp ${describe(url)}`,
    async send(m, signal) {
      await (await connect()).sendMail({
        from: m.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        date: m.sentAt,
        messageId: `<${m.id}@ciam-emulator.localhost>`,
        headers: { 'X-CIAM-Emulator-Kind': m.kind, 'X-CIAM-Emulator-Tenant': m.tenantId },
        signal,
      });
    },
    close: async () => { if (transporter) (await transporter).close(); },
  };
}

/** host:port for logs, never the credentials a URL may carry. */
function describe(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}
