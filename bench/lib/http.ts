import { Agent, request } from 'node:http';

/**
 * A minimal http client for the harness's own requests (readiness polls, the sequential warm-up).
 * Only ever given 127.0.0.1 URLs by run.ts; refuses anything else so a typo cannot reach the network.
 */
export interface Reply {
  status: number;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** false opens a fresh connection (readiness polls); an Agent reuses one (warm-up requests) */
  agent?: Agent | false;
}

export function send(url: string, opts: RequestOptions = {}): Promise<Reply> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1' || target.protocol !== 'http:') {
    return Promise.reject(new Error(`refusing to contact ${target.origin}: the bench only talks to http://127.0.0.1`));
  }
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: opts.method ?? 'GET',
      headers: { ...opts.headers, ...(opts.body ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}) },
      agent: opts.agent ?? false,
      timeout: opts.timeoutMs ?? 5000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 5000} ms: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
