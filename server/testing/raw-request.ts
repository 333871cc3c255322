import { request } from 'node:https';

export interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/**
 * One HTTPS request with headers `fetch` will not send as given (`Host`, `Sec-Fetch-Site`) and a path
 * it would normalise (dot segments). TLS still checks the certificate for `localhost` (against `tls.ca`
 * when given, for an emulator with a CA of its own).
 */
export function rawRequest(origin: string, method: string, path: string, headers: Record<string, string> = {}, body?: string, tls: { ca?: string | Buffer } = {}): Promise<RawResponse> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, servername: url.hostname, method, path, agent: false, ...(tls.ca ? { ca: tls.ca } : {}), headers: {
      ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers,
    } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}
