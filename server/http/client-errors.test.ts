import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../testing/harness.js';
import { rawClient } from '../testing/fuzz.js';

// Requests Node's parser refuses (here a URL past the 16 KiB header limit): fastify's default sent a
// JSON body even to HEAD, which the client then read as a broken next response ("Expected HTTP/").
let emu: TestEmulator;
// Plain http: there the bytes Node hands over start with the request line (see client-errors.ts for TLS).
beforeAll(async () => { emu = await startTestEmulator({ http: true }); });
afterAll(async () => { await emu.close(); });

describe('requests past the header size limit', () => {
  it.each([
    ['HEAD', ''],
    ['GET', '{"error":"Request Header Fields Too Large","statusCode":431}'],
  ])('%s answers 431 and a body only where the method has one, and the client parses it', async (method, body) => {
    const client = rawClient(emu.url);
    try {
      const res = await client.send({ method, path: `/_emulator/v1/mail?to=${'z'.repeat(70_000)}` });
      expect(res.status).toBe(431);
      expect(res.body).toBe(body);
      expect(res.headers.connection).toBe('close');
    } finally {
      client.close();
    }
  });

  it('a request just under the limit is answered by the route (400 for a too-long address)', async () => {
    const res = await fetch(`${emu.url}/_emulator/v1/mail?to=${'z'.repeat(8_000)}`);
    expect(res.status).toBe(400);
  });
});
