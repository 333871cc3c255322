import type { FastifyInstance } from 'fastify';
import type { TenantRegistry } from '../oidc/registry.js';

export interface EmulatorRouteDeps {
  registry: TenantRegistry;
  caPem: string | undefined;
  version: string;
}

/**
 * The emulator's own control plane under `/_emulator/v1/` (a prefix Entra never uses). For now:
 * the readiness probe and the CA certificate browsers and Node must trust.
 */
export function emulatorRoutes(app: FastifyInstance, { registry, caPem, version }: EmulatorRouteDeps): void {
  app.get('/_emulator/v1/health', async function getHealth() {
    return {
      status: 'ok',
      version,
      tenants: registry.list().map((t) => ({ id: t.tenant.id, domain: t.tenant.defaultDomain, issuer: t.issuer })),
    };
  });

  app.get('/_emulator/v1/ca.pem', async function getCaCertificate(_req, reply) {
    if (!caPem) {
      return reply.code(404).send({ error: { code: 'NotFound', message: 'The emulator serves plain http (--http): there is no CA certificate.' } });
    }
    return reply.type('application/x-pem-file').header('content-disposition', 'inline; filename="ciam-emulator-ca.pem"').send(caPem);
  });
}
