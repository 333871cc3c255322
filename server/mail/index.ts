import type { Clock, Random } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import { createMailer, type MailLog, type Mailer } from './mailer.js';
import { MailOutbox } from './outbox.js';
import { createSmtpTransport } from './smtp.js';
import { createMailViews } from './templates.js';

/** The mailer the emulator runs with: the SQLite outbox always, SMTP too when --smtp is given. */
export function createConfiguredMailer({ config, db, clock, random, log }: {
  config: Pick<Config, 'smtp'>; db: Db; clock: Clock; random: Random; log: MailLog;
}): Mailer {
  return createMailer({
    outbox: new MailOutbox(db),
    transports: config.smtp ? [createSmtpTransport(config.smtp)] : [],
    views: createMailViews(),
    clock,
    random,
    log,
  });
}

export type { CodeMail, MailLog, Mailer } from './mailer.js';
export type { StoredMail } from './outbox.js';
export type { MailKind } from './transport.js';
