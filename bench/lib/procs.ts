import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { send, sleep } from './http.js';

/**
 * Child servers: spawn, wait until ready, read /proc figures, stop. Every child is tracked so that
 * run.ts can kill whatever is left on any exit path (error, Ctrl-C, normal end).
 */
const live = new Set<ChildProcess>();

export interface Child {
  name: string;
  pid: number;
  port: number;
  origin: string;
  /** performance.now() just before spawn() */
  spawnedAt: number;
  /** the last few KB of stdout+stderr, for error messages */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

export function startChild(name: string, args: string[], port: number, cwd: string): Child {
  const spawnedAt = performance.now();
  // process.execPath: the same node that runs the harness, whatever `node` is on PATH. CIAM_*
  // variables are dropped so a developer's shell (CIAM_PUBLIC_URL, CIAM_FIXTURES…) cannot change
  // what is measured; the rest of the environment is inherited as `npm start` would see it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CIAM_')));
  const proc = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`${name}: spawn failed`);
  live.add(proc);
  let tail = '';
  const keep = (chunk: Buffer) => { tail = (tail + chunk.toString('utf8')).slice(-8192); };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let done = false;
  const exit = new Promise<void>((resolve) => proc.once('exit', () => { done = true; live.delete(proc); resolve(); }));
  return {
    name,
    pid: proc.pid,
    port,
    origin: `http://127.0.0.1:${port}`,
    spawnedAt,
    output: () => tail,
    exited: () => done,
    async stop() {
      if (done) return;
      proc.kill('SIGTERM');
      // Bounded: a graceful close gets 3 s, then SIGKILL gets 2 s more.
      if (await Promise.race([exit.then(() => true), sleep(3000).then(() => false)])) return;
      proc.kill('SIGKILL');
      await Promise.race([exit, sleep(2000)]);
    },
  };
}

/** Synchronous last resort for process 'exit' and signal handlers. */
export function killAllNow(): void {
  for (const proc of live) {
    try { proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
}

export function liveChildren(): number {
  return live.size;
}

/** A port the kernel says is free on 127.0.0.1 (closed again before the child binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * Polls `path` every `intervalMs` until a 200, and returns ms since spawn. Fresh connection per
 * poll, as a client arriving during startup would. Bounded by time and by count.
 */
export async function waitReady(child: Child, path: string, timeoutMs = 20_000, intervalMs = 2): Promise<number> {
  const deadline = child.spawnedAt + timeoutMs;
  const maxPolls = Math.ceil(timeoutMs / intervalMs) + 1;
  let last = 'no reply';
  for (let i = 0; i < maxPolls && performance.now() < deadline; i++) {
    if (child.exited()) throw new Error(`${child.name} exited during startup:\n${child.output()}`);
    try {
      const reply = await send(`${child.origin}${path}`, { timeoutMs: 2000 });
      if (reply.status === 200) return performance.now() - child.spawnedAt;
      last = `HTTP ${reply.status}`;
    } catch (e) {
      last = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${child.name} not ready after ${timeoutMs} ms (last: ${last}):\n${child.output()}`);
}

/** Resident set size in MiB, from VmRSS in /proc/<pid>/status. */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}
