import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { AADSTS, AadError, type AadCode } from '../errors.js';
import type { TenantRegistry } from './registry.js';
import type { Views } from '../http/views.js';

/**
 * Entra endpoints that oidc-provider does not serve: the ones not emulated yet answer an
 * Entra-shaped error that says so (never a fake success, never Koa's bare 404).
 */
export function oauthRoutes(app: FastifyInstance, { registry }: { registry: TenantRegistry }): void {
  const notEmulated = (feature: string) => async function notEmulatedYet(req: { params: unknown }) {
    const alias = (req.params as { tenant: string }).tenant;
    if (!registry.resolve(alias)) throw new AadError(90002, { tenant: alias });
    throw new AadError(9990001, { feature });
  };
  app.all('/:tenant/oauth2/v2.0/authorize-challenge', notEmulated('the native authentication v2 API (authorize-challenge)'));
  // The native authentication API v1 is server/native-auth.
  // Microsoft Graph (/v1.0/…) is served by server/graph in its own scope (see app.ts).
}

/** `error_uri` in every error points here: what an AADSTS code means, like Entra's error lookup page. */
export function errorLookupRoute(app: FastifyInstance, { views }: { views: Views }): void {
  app.get('/error', { schema: { querystring: Type.Object({ code: Type.Optional(Type.String({ maxLength: 16 })) }) } }, async function lookUpError(req, reply) {
    const code = Number((req.query as { code?: string }).code);
    const known = Number.isInteger(code) && code in AADSTS;
    const aad = known ? new AadError(code as AadCode) : undefined;
    return reply.code(known ? 200 : 404).type('text/html; charset=utf-8').send(views.render('./error-lookup', {
      title: 'Error code lookup',
      tenant: { displayName: 'Microsoft Entra error codes (emulated)', branding: {} },
      code: known ? code : undefined,
      error: aad?.error,
      message: aad ? aad.text.replace(/''/g, '…') : 'ciam-emulator does not know this code.',
    }));
  });
}
