import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Entra echoes the client's `client-request-id` (header or query) as the correlation id, and gives
 * every request its own trace id (`x-ms-request-id`).
 */
export function requestIds(req: IncomingMessage): { traceId: string; correlationId: string } {
  const header = req.headers['client-request-id'];
  let fromClient = typeof header === 'string' ? header : '';
  if (!fromClient && req.url?.includes('client-request-id=')) {
    fromClient = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1)).get('client-request-id') ?? '';
  }
  return { traceId: randomUUID(), correlationId: /^[\w-]{1,64}$/.test(fromClient) ? fromClient : randomUUID() };
}
