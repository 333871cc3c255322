import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication, CryptoProvider, type AccountInfo } from '@azure/msal-node';
import { APPS, isMain, sampleConfig, type SampleConfig } from '../sample-config.js';

/**
 * The server-side quickstart: a Node web app using @azure/msal-node's auth code flow with the
 * confidential Contoso Web App registration. Sessions live in memory (a sample, not production).
 * Node must trust the emulator's CA: NODE_EXTRA_CA_CERTS (the npm script sets it).
 */
interface Session {
  pkceVerifier?: string;
  state?: string;
  nonce?: string;
  account?: AccountInfo;
  claims?: Record<string, unknown>;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startWebApp(config: SampleConfig, port = 3001): Promise<{ port: number; app: FastifyInstance; close(): Promise<void> }> {
  const msal = new ConfidentialClientApplication({
    auth: { clientId: APPS.web.clientId, clientSecret: APPS.web.secret, authority: config.authority, knownAuthorities: [config.knownAuthority] },
  });
  const crypto = new CryptoProvider();
  const sessions = new Map<string, Session>();
  const app = Fastify();
  await app.register(cookie);

  const session = (req: { cookies: Record<string, string | undefined> }, reply: { setCookie: (n: string, v: string, o: object) => unknown }): Session => {
    let id = req.cookies.sid;
    if (!id || !sessions.has(id)) {
      id = randomUUID();
      sessions.set(id, {});
      reply.setCookie('sid', id, { path: '/', httpOnly: true, sameSite: 'lax' });
    }
    return sessions.get(id)!;
  };

  const page = (body: string) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Contoso Web App</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:24px auto;max-width:760px;padding:0 16px}a.button{display:inline-block;padding:8px 14px;background:#0f6cbd;color:#fff;border-radius:4px;text-decoration:none;margin-right:8px}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eee;font-size:13px;word-break:break-all}pre{background:#f6f6f6;padding:12px}</style></head>
<body><h1>Contoso Web App</h1>${body}</body></html>`;

  app.get('/', async (req, reply) => {
    const s = session(req, reply);
    if (!s.account) return reply.type('text/html').send(page('<p data-testid="status">Not signed in.</p><a class="button" href="/auth/signin">Sign in</a>'));
    const rows = Object.entries(s.claims ?? {}).map(([k, v]) => `<tr><th>${esc(k)}</th><td data-claim="${esc(k)}">${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`).join('');
    return reply.type('text/html').send(page(`<p data-testid="status">Signed in as ${esc(s.account.username)}</p>
<a class="button" href="/call-api">Call the ToDo API</a><a class="button" href="/auth/signout">Sign out</a><table>${rows}</table>`));
  });

  app.get('/auth/signin', async (req, reply) => {
    const s = session(req, reply);
    const { verifier, challenge } = await crypto.generatePkceCodes();
    Object.assign(s, { pkceVerifier: verifier, state: crypto.createNewGuid(), nonce: crypto.createNewGuid() });
    const url = await msal.getAuthCodeUrl({ scopes: [APPS.api.scope], redirectUri: APPS.web.redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', state: s.state!, nonce: s.nonce! });
    return reply.redirect(url);
  });

  app.get<{ Querystring: Record<string, string> }>('/auth/redirect', async (req, reply) => {
    const s = session(req, reply);
    if (req.query.error) return reply.code(400).type('text/html').send(page(`<p role="alert">${esc(req.query.error)}: ${esc(req.query.error_description)}</p>`));
    if (!req.query.code || req.query.state !== s.state) return reply.redirect('/');
    const result = await msal.acquireTokenByCode({ code: req.query.code, scopes: [APPS.api.scope], redirectUri: APPS.web.redirectUri, codeVerifier: s.pkceVerifier!, state: s.state!, nonce: s.nonce! },
      { code: req.query.code, state: req.query.state, nonce: s.nonce!, ...(req.query.client_info ? { client_info: req.query.client_info } : {}) });
    Object.assign(s, { account: result.account ?? undefined, claims: result.idTokenClaims, pkceVerifier: undefined, state: undefined });
    return reply.redirect('/');
  });

  app.get('/call-api', async (req, reply) => {
    const s = session(req, reply);
    if (!s.account) return reply.redirect('/auth/signin');
    const { accessToken } = await msal.acquireTokenSilent({ account: s.account, scopes: [APPS.api.scope] });
    const res = await fetch(`${config.apiUrl}/api/todolist`, { headers: { authorization: `Bearer ${accessToken}` } });
    return reply.type('text/html').send(page(`<p data-testid="status">API answered ${res.status}</p><pre data-testid="api-result">${esc(JSON.stringify(await res.json(), null, 2))}</pre><a class="button" href="/">Back</a>`));
  });

  app.get('/auth/signout', async (req, reply) => {
    const s = session(req, reply);
    if (s.account) await msal.getTokenCache().removeAccount(s.account);
    sessions.delete(req.cookies.sid ?? '');
    const logout = new URL(`${config.authority}/oauth2/v2.0/logout`);
    logout.searchParams.set('post_logout_redirect_uri', `${APPS.web.origin}/`);
    return reply.redirect(logout.href);
  });

  await app.listen({ host: '127.0.0.1', port });
  return { port: (app.server.address() as { port: number }).port, app, close: () => app.close() };
}

if (isMain(import.meta.url)) {
  const { port } = await startWebApp(sampleConfig(), Number(process.env.PORT ?? 3001));
  process.stdout.write(`Contoso Web App on http://localhost:${port}\n`);
}
