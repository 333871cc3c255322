-- Every email the emulator sends (verification, sign-in and password reset codes). The outbox is
-- always kept, with or without --smtp, so tests and people read mail from /_emulator/v1/mail and
-- /_emulator/mail instead of running a mail server. `code` is the one-time code the mail carries:
-- the mailer knows it, so tests never have to parse a message body.
CREATE TABLE mail_outbox (
  id           TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind         TEXT NOT NULL,                 -- sign-up-code | reset-code | sign-in-code
  "to"         TEXT NOT NULL COLLATE NOCASE,  -- one address; people type it in any case
  subject      TEXT NOT NULL,
  text         TEXT NOT NULL,
  html         TEXT NOT NULL,
  code         TEXT,
  received_at  INTEGER NOT NULL               -- epoch milliseconds: codes sent in the same second stay ordered
);
-- "the newest mail to this address" is what tests and the mailbox ask for.
CREATE INDEX mail_outbox_to ON mail_outbox("to", received_at);
CREATE INDEX mail_outbox_received ON mail_outbox(received_at);
