import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { TOKEN_BODY, TOKEN_HEADERS } from './constants.js';
import { send } from './http.js';
import { cpuSeconds, cpuWindow } from './cpu.js';
import type { Child } from './procs.js';

/** Token requests: the one-off check, the sequential warm-up and the autocannon load runs. */
export interface LoadResult {
  /** successful (2xx) tokens per second */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** server CPU (user+system) over the run, in cores: 2.0 means both cores busy */
  serverCores: number;
  /** server CPU milliseconds per token: the cost that does not depend on noise from the client */
  coreMsPerToken: number;
  /** CPU that other processes on the machine used during the run, in cores: the noise */
  otherCores: number;
}

const tokenRequest = (body = TOKEN_BODY) => ({ method: 'POST' as const, headers: TOKEN_HEADERS, body });

/** One token request that must succeed with an RS256 JWT, so a broken setup fails before any timing. */
export async function checkToken(child: Child, path: string): Promise<{ alg: string; aud: unknown }> {
  const reply = await send(`${child.origin}${path}`, { ...tokenRequest(), timeoutMs: 10_000 });
  if (reply.status !== 200) throw new Error(`${child.name}: token request gave HTTP ${reply.status}: ${reply.body.slice(0, 500)}`);
  const json = JSON.parse(reply.body) as { access_token?: unknown; token_type?: unknown };
  const parts = typeof json.access_token === 'string' ? json.access_token.split('.') : [];
  if (parts.length !== 3) throw new Error(`${child.name}: no JWT access_token in ${reply.body.slice(0, 500)}`);
  const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: string };
  const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { aud?: unknown };
  if (header.alg !== 'RS256') throw new Error(`${child.name}: access token alg is ${header.alg}, expected RS256`);
  return { alg: header.alg, aud: payload.aud };
}

/** `count` token requests one after the other on one keep-alive connection (the RSS warm-up). */
export async function sequentialTokens(child: Child, path: string, count: number, timeoutMs = 60_000): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const deadline = performance.now() + timeoutMs;
  try {
    for (let i = 0; i < count; i++) {
      if (performance.now() > deadline) throw new Error(`${child.name}: ${i}/${count} warm-up tokens in ${timeoutMs} ms`);
      const reply = await send(`${child.origin}${path}`, { ...tokenRequest(), agent, timeoutMs: 10_000 });
      if (reply.status !== 200) throw new Error(`${child.name}: warm-up token ${i} gave HTTP ${reply.status}: ${reply.body.slice(0, 300)}`);
    }
  } finally {
    agent.destroy();
  }
}

/** One autocannon run against the token endpoint, with the server's CPU use over the same window. */
export async function loadRun(child: Child, path: string, connections: number, durationS: number): Promise<LoadResult> {
  const cpu0 = cpuSeconds(child.pid);
  const window = cpuWindow();
  const t0 = performance.now();
  const r = await autocannon({
    url: `${child.origin}${path}`,
    ...tokenRequest(),
    connections,
    duration: durationS,
    timeout: 10,
  });
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = cpuSeconds(child.pid) - cpu0;
  const ok = r['2xx'];
  return {
    rps: ok / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    serverCores: cpuS / wallS,
    coreMsPerToken: ok > 0 ? (cpuS * 1000) / ok : Number.NaN,
    otherCores: window.otherCores(cpuS),
  };
}
