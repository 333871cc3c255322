import { createServer } from 'node:http';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { APPS, isMain, sampleConfig, type SampleConfig, listenOnLoopback, type RunningApp } from '../sample-config.js';

/**
 * The ToDo API of the quickstarts: it accepts v2 access tokens the emulator issued for it, checked
 * with jose against the emulator's JWKS exactly as against a real tenant (issuer, audience = the
 * API's app id, `scp` contains ToDoList.Read), and answers the SPA's CORS requests.
 */
export async function startApi(config: SampleConfig, port = 3002): Promise<RunningApp> {
  const issuer = `${config.emulatorUrl}/${APPS.tenantId}/v2.0`;
  const jwks = createRemoteJWKSet(new URL(`${config.emulatorUrl}/${APPS.tenantId}/discovery/v2.0/keys`));

  const server = createServer(async (req, res) => {
    const origin = req.headers.origin;
    if (origin === APPS.spa.origin) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-headers', 'authorization');
      res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    if (req.url !== '/api/todolist' || req.method !== 'GET') return void json(res, 404, { error: 'not_found' });

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return void json(res, 401, { error: 'invalid_token', message: 'no bearer token' });
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, jwks, { issuer, audience: APPS.api.clientId }));
    } catch (e) {
      return void json(res, 401, { error: 'invalid_token', message: (e as Error).message });
    }
    const scopes = String(claims.scp ?? '').split(' ');
    const roles = (claims.roles as string[] | undefined) ?? [];
    if (!scopes.includes('ToDoList.Read') && !scopes.includes('ToDoList.ReadWrite') && !roles.includes('ToDoList.Read.All')) {
      return void json(res, 403, { error: 'insufficient_scope', message: 'requires ToDoList.Read' });
    }
    json(res, 200, {
      caller: { oid: claims.oid, name: claims.name, azp: claims.azp, scp: claims.scp ?? null, roles },
      todos: [{ id: 1, title: 'Try the emulator', owner: claims.oid }, { id: 2, title: 'Ship the app', owner: claims.oid }],
    });
  });
  return listenOnLoopback(server, port);
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

if (isMain(import.meta.url)) {
  const { port } = await startApi(sampleConfig(), Number(process.env.PORT ?? 3002));
  process.stdout.write(`ToDo API on http://localhost:${port}/api/todolist\n`);
}
