import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { VIEWS_DIR } from './views.js';

/**
 * `/favicon.ico`, which browsers ask every origin for (Entra's sign-in hosts serve one): a small
 * neutral icon instead of a 404 in every page load's console and log.
 */
export function faviconRoute(app: FastifyInstance): void {
  const icon = readFileSync(join(VIEWS_DIR, 'static', 'favicon.ico'));
  app.get('/favicon.ico', async function getFavicon(_req, reply) {
    return reply.type('image/x-icon').header('cache-control', 'public, max-age=86400').send(icon);
  });
}
