import type { Db } from '../db/connection.js';
import type { MailKind, MailMessage, MailTransport } from './transport.js';

/** A message as the outbox keeps it: what the control plane and the mailbox page show. */
export interface StoredMail {
  id: string;
  tenantId: string;
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html: string;
  code: string | null;
  receivedAt: Date;
}

interface MailRow {
  id: string;
  tenant_id: string;
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html: string;
  code: string | null;
  received_at: number;
}

const toMail = (r: MailRow): StoredMail => ({
  id: r.id,
  tenantId: r.tenant_id,
  kind: r.kind,
  to: r.to,
  subject: r.subject,
  text: r.text,
  html: r.html,
  code: r.code,
  receivedAt: new Date(r.received_at),
});

/**
 * Every message the emulator sends, in SQLite (table `mail_outbox`). Always on: it is how tests
 * and the mailbox page read codes, and it still has the message when an SMTP relay fails.
 * Addresses match case-insensitively (the column is COLLATE NOCASE), as mailboxes do.
 */
export class MailOutbox implements MailTransport {
  readonly name = 'outbox';
  readonly #insert;
  readonly #list;
  readonly #listTo;
  readonly #get;
  readonly #clear;
  readonly #clearTo;

  constructor(db: Db) {
    this.#insert = db.prepare(`
      INSERT INTO mail_outbox (id, tenant_id, kind, "to", subject, text, html, code, received_at)
      VALUES (@id, @tenantId, @kind, @to, @subject, @text, @html, @code, @receivedAt)`);
    // rowid breaks ties between messages stored in the same millisecond: newest first stays exact.
    this.#list = db.prepare<[number], MailRow>('SELECT * FROM mail_outbox ORDER BY received_at DESC, rowid DESC LIMIT ?');
    this.#listTo = db.prepare<[string, number], MailRow>('SELECT * FROM mail_outbox WHERE "to" = ? ORDER BY received_at DESC, rowid DESC LIMIT ?');
    this.#get = db.prepare<[string], MailRow>('SELECT * FROM mail_outbox WHERE id = ?');
    this.#clear = db.prepare('DELETE FROM mail_outbox');
    this.#clearTo = db.prepare<[string]>('DELETE FROM mail_outbox WHERE "to" = ?');
  }

  /** Stores the message; synchronous, so it is in the outbox before a flow moves on. */
  add(m: MailMessage): StoredMail {
    this.#insert.run({
      id: m.id, tenantId: m.tenantId, kind: m.kind, to: m.to, subject: m.subject, text: m.text, html: m.html,
      code: m.code, receivedAt: m.sentAt.getTime(),
    });
    return { id: m.id, tenantId: m.tenantId, kind: m.kind, to: m.to, subject: m.subject, text: m.text, html: m.html, code: m.code, receivedAt: m.sentAt };
  }

  async send(m: MailMessage): Promise<void> {
    this.add(m);
  }

  /** Newest first; `to` (any case) narrows to one address. */
  list({ to, top }: { to?: string | undefined; top: number }): StoredMail[] {
    return (to === undefined ? this.#list.all(top) : this.#listTo.all(to, top)).map(toMail);
  }

  get(id: string): StoredMail | undefined {
    const row = this.#get.get(id);
    return row && toMail(row);
  }

  /** Deletes every message, or only those to one address; answers how many went. */
  clear(to?: string): number {
    return (to === undefined ? this.#clear.run() : this.#clearTo.run(to)).changes;
  }
}
