import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

type Handler = (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) => unknown;

export interface SurfaceHandlers {
  oauth: Handler;
  page: Handler;
  graph: Handler;
  control: Handler;
}

/**
 * Errors fastify's router raises before any route (and so any surface's error handler) is chosen —
 * a path segment with bad percent-encoding (FST_ERR_BAD_URL), a path parameter over the length limit
 * (FST_ERR_MAX_PARAM_LENGTH) — answered in the shape of the surface the path belongs to, instead of
 * fastify's own `{"error":"Bad Request","code":"FST_ERR_…"}`: Graph's OData envelope under a Graph
 * version, the control plane's under `/_emulator/`, the hosted error page under a tenant's
 * `/interaction/`, and Entra's OAuth JSON elsewhere. The handlers are resolved when called, since the
 * surfaces are registered after fastify is constructed.
 */
export function frameworkErrorDispatcher(handlers: () => SurfaceHandlers | undefined) {
  return function answerFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
    const h = handlers();
    if (!h) return reply.code(400).send({ error: 'invalid_request' });
    const path = req.raw.url ?? '/';
    if (/^\/(?:v1\.0|beta)(?:[/?]|$)/i.test(path)) return h.graph(err, req, reply);
    if (path.startsWith('/_emulator/')) return h.control(err, req, reply);
    if (/^\/[^/?]+\/interaction\//.test(path)) return h.page(err, req, reply);
    return h.oauth(err, req, reply);
  };
}
