import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { integerParameter } from '../http/query.js';
import type { Views } from '../http/views.js';
import type { MailOutbox, StoredMail } from '../mail/outbox.js';

export interface MailRouteDeps {
  outbox: MailOutbox;
  views: Views;
}

const Address = Type.String({ minLength: 3, maxLength: 320 });
const TOP = { fallback: 50, minimum: 1, maximum: 100 };
const ListQuery = Type.Object({
  to: Type.Optional(Address),
  top: Type.Optional(Type.Integer({ minimum: TOP.minimum, maximum: TOP.maximum })),
});
const DeleteQuery = Type.Object({ to: Type.Optional(Address) });
const IdParams = Type.Object({ id: Type.String({ pattern: '^[\\w-]{1,64}$' }) });

/** The control plane's JSON for one message: `code` is left out when the message carries none. */
function toJson(m: StoredMail) {
  return {
    id: m.id,
    tenantId: m.tenantId,
    kind: m.kind,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    receivedAt: m.receivedAt.toISOString(),
    ...(m.code ? { code: m.code } : {}),
  };
}

const notFound = (id: string) => ({ error: { code: 'NotFound', message: `There is no mail with id '${id}' in the outbox.` } });

/**
 * The outbox over HTTP: `/_emulator/v1/mail` for tests (read the code a flow sent, clear between
 * tests) and `/_emulator/mail` for people (a mailbox page for demos). Everything the emulator
 * sends is here, whether or not --smtp relays it too.
 */
export function mailRoutes(app: FastifyInstance, { outbox, views }: MailRouteDeps): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>('/_emulator/v1/mail', { schema: { querystring: ListQuery } }, async function listMail(req) {
    return { value: outbox.list({ to: req.query.to, top: integerParameter(req.query.top, 'top', TOP) }).map(toJson) };
  });

  app.get<{ Params: Static<typeof IdParams> }>('/_emulator/v1/mail/:id', { schema: { params: IdParams } }, async function getMail(req, reply) {
    const mail = outbox.get(req.params.id);
    if (!mail) return reply.code(404).send(notFound(req.params.id));
    return toJson(mail);
  });

  app.delete<{ Querystring: Static<typeof DeleteQuery> }>('/_emulator/v1/mail', { schema: { querystring: DeleteQuery } }, async function clearMail(req, reply) {
    outbox.clear(req.query.to);
    return reply.code(204).send();
  });

  // The mailbox page. Not JSON: bad input shows the page's own "not found" instead of an error body.
  app.get<{ Querystring: { to?: unknown } }>('/_emulator/mail', async function showMailbox(req, reply) {
    const to = typeof req.query.to === 'string' && req.query.to.trim() ? req.query.to.trim().slice(0, 320) : undefined;
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(views.render('./mailbox', {
      title: 'Mailbox',
      to,
      messages: outbox.list({ to, top: 100 }).map((m) => ({ ...m, time: displayTime(m.receivedAt) })),
    }));
  });

  app.get<{ Params: { id: string } }>('/_emulator/mail/:id', async function showMail(req, reply) {
    const mail = /^[\w-]{1,64}$/.test(req.params.id) ? outbox.get(req.params.id) : undefined;
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    if (!mail) return reply.code(404).send(views.render('./mailbox-missing', { title: 'Mail not found' }));
    return reply.send(views.render('./mailbox-message', { title: mail.subject, mail: { ...mail, time: displayTime(mail.receivedAt) } }));
  });
}

/** `2026-05-01 09:30:12 UTC`: the emulator's clock, readable, with no guess at the viewer's zone. */
function displayTime(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
