import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';

/**
 * Microsoft Graph's error envelope (learn.microsoft.com/graph/errors):
 * {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}, with the
 * `request-id` and `client-request-id` headers on every response.
 */
export class GraphError extends Error {
  constructor(readonly status: number, readonly code: string, message: string,
    readonly details?: { target?: string; code: string; message: string }[]) {
    super(message);
    this.name = 'GraphError';
  }
}

export const notFound = (id: string) =>
  new GraphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
export const badRequest = (message: string) => new GraphError(400, 'Request_BadRequest', message);
export const unsupportedQuery = (message: string) => new GraphError(400, 'Request_UnsupportedQuery', message);
export const denied = () => new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
export const notEmulated = (what: string) => new GraphError(501, 'NotImplemented', `ciam-emulator does not emulate ${what} yet.`);

/** The ids a Graph response carries: a fresh request id; the client's id echoed (or a fresh one). */
export function graphRequestIds(req: FastifyRequest): { requestId: string; clientRequestId: string } {
  const ids = (req as FastifyRequest & { graphIds?: { requestId: string; clientRequestId: string } }).graphIds;
  if (ids) return ids;
  const header = req.headers['client-request-id'];
  const fromClient = typeof header === 'string' && /^[\w-]{1,64}$/.test(header) ? header : undefined;
  const made = { requestId: randomUUID(), clientRequestId: fromClient ?? randomUUID() };
  (req as FastifyRequest & { graphIds?: typeof made }).graphIds = made;
  return made;
}

export function graphErrorHandler({ clock }: { clock: Clock }) {
  return function handleGraphError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
    let g: GraphError;
    if (err instanceof GraphError) g = err;
    else {
      const fe = err as FastifyError;
      if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') g = new GraphError(415, 'Request_BadRequest', fe.message);
      else if (fe.validation || (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)) g = badRequest(fe.message);
      else {
        req.log.error({ err }, 'unhandled error in Microsoft Graph');
        g = new GraphError(500, 'InternalServerError', 'ciam-emulator hit an internal error; the request-id finds it in the emulator log.');
      }
    }
    const { requestId, clientRequestId } = graphRequestIds(req);
    const date = clock.now().toISOString().replace(/\.\d+Z$/, '');
    // Graph's challenge as recorded (Azure SDK recordings, fidelity-gaps.md S2/D22): the common
    // authority's authorize URL whatever the tenant, and Graph's app id.
    if (g.status === 401) reply.header('www-authenticate', 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"');
    return reply.code(g.status).header('request-id', requestId).header('client-request-id', clientRequestId)
      .header('cache-control', 'no-cache').type('application/json')
      .send({ error: { code: g.code, message: g.message, ...(g.details ? { details: g.details } : {}), innerError: { date, 'request-id': requestId, 'client-request-id': clientRequestId } } });
  };
}
