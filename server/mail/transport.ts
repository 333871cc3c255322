/**
 * What the mailer hands to each transport: one rendered message. The outbox (SQLite, always on)
 * and SMTP (with --smtp) both take this shape, so a flow never knows where its mail goes.
 */
export const MAIL_KINDS = ['sign-up-code', 'reset-code', 'sign-in-code'] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

export interface MailMessage {
  /** made by the mailer; the outbox row id and the SMTP Message-ID */
  id: string;
  kind: MailKind;
  tenantId: string;
  from: { name: string; address: string };
  to: string;
  subject: string;
  html: string;
  text: string;
  /** the one-time code the message carries, kept so tests read it without parsing the body */
  code: string;
  /** the emulator's clock at sending, so time-travelling tests see consistent timestamps */
  sentAt: Date;
}

export interface MailTransport {
  /** names the transport in logs */
  readonly name: string;
  /** Delivers one message; `signal` aborts a delivery still in flight when the emulator closes. */
  send(message: MailMessage, signal: AbortSignal): Promise<void>;
  close?(): Promise<void> | void;
}
