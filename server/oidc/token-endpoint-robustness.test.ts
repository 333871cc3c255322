import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'node:http';
import { DEFAULT, startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { postForm } from '../testing/oauth.js';

// Bad input at the token endpoint (issue 10, item 5): never a 500, never a stuck connection.
let emu: TestEmulator;
beforeAll(async () => { emu = await startTestEmulator({ http: true }); });
afterAll(async () => { await emu.close(); });

const tokenPath = `/${DEFAULT.domain}/oauth2/v2.0/token`;

describe('a Basic Authorization header with broken percent-encoding', () => {
  // RFC 6749 §2.3.1 form-encodes the id and secret inside Basic; '%E0%A4%A' decodes to nothing.
  const broken = `Basic ${Buffer.from('%E0%A4%A:secret').toString('base64')}`;

  it('is 400 invalid_request AADSTS9002313 (a malformed request) at the token endpoint, not a 500', async () => {
    const r = await postForm(`${emu.url}${tokenPath}`, { grant_type: 'client_credentials', scope: `api://${DEFAULT.api}/.default` }, { authorization: broken });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_request', error_codes: [9002313] });
    expect(String(r.body.error_description)).toMatch(/^AADSTS9002313: Invalid request\. Request is malformed or invalid\./);
    expect(r.headers.get('x-ms-request-id')).toBeTruthy();
  });

  it('is the same with a broken secret half (the client id is fine)', async () => {
    const halfBroken = `Basic ${Buffer.from(`${DEFAULT.daemon}:%ZZ`).toString('base64')}`;
    const r = await postForm(`${emu.url}${tokenPath}`, { grant_type: 'client_credentials', scope: `api://${DEFAULT.api}/.default` }, { authorization: halfBroken });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_request', error_codes: [9002313] });
  });

  it('does not break an /authorize request either: its error goes back to the app (302 AADSTS9002313), not a 500', async () => {
    const url = `${emu.url}/${DEFAULT.domain}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: DEFAULT.spa, response_type: 'code', redirect_uri: 'http://localhost:3000', scope: 'openid', response_mode: 'nope' })}`;
    const r = await fetch(url, { headers: { authorization: broken }, redirect: 'manual' });
    expect(r.status).toBe(302);
    const back = new URL(r.headers.get('location')!);
    expect(back.origin).toBe('http://localhost:3000');
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/^AADSTS9002313: /);
  });
});

describe('an oversized cross-origin token POST on a keep-alive connection', () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  afterAll(() => { agent.destroy(); });

  /** One request through the shared one-socket agent; rejects after `ms` (a stalled connection). */
  const send = (method: string, path: string, headers: Record<string, string>, body: Buffer | undefined, ms: number) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string; socket: unknown }>((resolve, reject) => {
      const u = new URL(emu.url);
      const timer = setTimeout(() => { req.destroy(); reject(new Error(`no answer within ${ms} ms`)); }, ms);
      const req = request({ host: '127.0.0.1', port: Number(u.port), method, path, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, socket: req.socket }); });
      });
      req.on('error', (e) => { clearTimeout(timer); reject(e); });
      req.end(body);
    });

  const small = Buffer.from(new URLSearchParams({ grant_type: 'client_credentials', client_id: DEFAULT.daemon, client_secret: DEFAULT.daemonSecret, scope: `api://${DEFAULT.api}/.default` }).toString());
  const form = (body: Buffer) => ({ origin: 'http://localhost:3000', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) });

  it('answers 400 AADSTS9002313, and the next token request through the keep-alive agent answers within 3 s (Connection: close)', async () => {
    const big = Buffer.alloc(200 * 1024, 'a');
    const first = await send('POST', tokenPath, form(big), big, 5000);
    expect(first.status).toBe(400);
    expect(JSON.parse(first.body)).toMatchObject({ error: 'invalid_request', error_codes: [9002313] });

    const second = await send('POST', tokenPath, form(small), small, 3000);
    expect(second.status).toBe(200);
    expect(JSON.parse(second.body)).toHaveProperty('access_token');
    // the oversized body was never read to its end, so that connection was closed rather than reused
    expect(first.headers.connection).toBe('close');
    expect(second.socket).not.toBe(first.socket);
  });

  it('keeps a small cross-origin token POST on the same keep-alive connection (only oversized ones close it)', async () => {
    const first = await send('POST', tokenPath, form(small), small, 5000);
    expect(first.status).toBe(200);
    const second = await send('POST', tokenPath, form(small), small, 3000);
    expect(second.status).toBe(200);
    expect(second.socket).toBe(first.socket);
  });
});
