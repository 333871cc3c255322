import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { CONTROL_SESSION_COOKIE, SESSION_PATH, type ControlSessions } from './control-sessions.js';

export interface SessionRouteDeps {
  publicUrl: string;
  sessions: ControlSessions;
}

const RedeemQuery = Type.Object({ ticket: Type.String({ minLength: 16, maxLength: 128 }) });

/** The one-time link's two ends: mint one (token holders) and trade one for a browser session. */
export function sessionRoutes(app: FastifyInstance, { publicUrl, sessions }: SessionRouteDeps): void {
  app.post(SESSION_PATH, async function mintSessionLink(_req, reply) {
    const { ticket, expiresAt } = sessions.mintTicket();
    return reply.code(201).send({ url: `${publicUrl}${SESSION_PATH}?ticket=${ticket}`, expiresAt: expiresAt.toISOString() });
  });

  app.get<{ Querystring: Static<typeof RedeemQuery> }>(SESSION_PATH, { schema: { querystring: RedeemQuery } }, async function startBrowserSession(req, reply) {
    const session = sessions.redeem(req.query.ticket);
    if (!session) {
      return reply.code(403).header('cache-control', 'no-store').send({ error: { code: 'InvalidTicket', message: 'This link was used already or is not one this emulator made. Restart the emulator for a new one, or POST /_emulator/v1/session with the admin token.' } });
    }
    // Strict: no other site can make the browser send it; HttpOnly: no page script can read it.
    const secure = publicUrl.startsWith('https:') ? '; Secure' : '';
    return reply.header('set-cookie', `${CONTROL_SESSION_COOKIE}=${session}; Path=/_emulator; HttpOnly; SameSite=Strict${secure}`)
      .header('cache-control', 'no-store').redirect('/_emulator/mail', 303);
  });
}
