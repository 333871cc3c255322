import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';

/**
 * The pieces of the fuzz suite (server/http/fuzz.test.ts): a seeded PRNG so every run can be
 * replayed (CIAM_FUZZ_SEED), value and body mutators, fastify's route table read back from
 * `printRoutes`, and a raw HTTP client that sends exactly the bytes it is given (fetch would
 * normalise paths, refuse some headers and hide duplicate parameters).
 */

/** mulberry32: 32 bits of state, fast, and plenty for choosing inputs (not for secrets). */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** [0, 1) */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** an integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Values

/** Strings that have broken parsers somewhere: numbers at the edges, encodings, markup, paths. */
export const NASTY_STRINGS: readonly string[] = [
  '', ' ', '\t', '0', '-1', '1e309', '-1e309', 'NaN', 'Infinity', '9007199254740993', '99999999999999999999', '0x10', '1.5',
  'true', 'null', 'undefined', '[]', '{}', '__proto__', 'constructor', 'toString', 'hasOwnProperty',
  '%', '%ZZ', '%E0%A4%A', '%00', '%2e%2e%2f', '../../etc/passwd', '\u0000', '\r\nX-Injected: 1', '\ud800', '\uffff',
  '😀', 'Ω≈ç√∫', 'مرحبا', '𝕏', 'a\u0301', '\u202e', '<script>alert(1)</script>', '"\'><img src=x>', "' OR 1=1 --", '${7*7}', '{{7*7}}',
  'alice@contoso.com', 'ALICE@CONTOSO.COM', ' alice@contoso.com ', 'a@b', '@', 'x'.repeat(257), 'y'.repeat(4097),
  'PT1M', 'P99999999999999999999D', '2026-13-45T99:99:99Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z',
  "mail eq 'x'", "startsWith(displayName,'", 'identities/any(i:i/issuerAssignedId eq ', '(((((((((((', ')', "''''",
  'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '00000000-0000-0000-0000-000000000000', 'contoso', 'contoso.onmicrosoft.com',
];

/** Edge values for something that holds a number, a duration or a date: overflow, precision, sign, format. */
export const NUMERIC_EDGES: readonly string[] = [
  '1e309', '-1e309', '99999999999999999999', '9007199254740993', '-1', '0', '1.5', 'NaN', 'Infinity', '0x10', '1e2', '00001',
  'P99999999999999999999D', 'PT99999999999999999999S', 'P3000000D', 'PT0.0000001S', 'P', 'PT',
  '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '2026-02-30T00:00:00Z', '1969-12-31T23:59:59Z',
];
const looksNumeric = (v: unknown) => typeof v === 'number' || (typeof v === 'string' && /^(?:\d+|P[\dTDHMS.]+|\d{4}-\d\d-\d\d.*)$/.test(v));

/** A replacement for `current`: an edge value of its own kind half the time when it is numeric, else anything. */
export function replacementFor(rng: Rng, current: unknown): unknown {
  // A valid value with junk after it gets past prefix checks (`next` must start with our URL, …).
  if (typeof current === 'string' && current && rng.chance(0.2)) return current + rng.pick(NASTY_STRINGS);
  if (looksNumeric(current) && rng.chance(0.5)) {
    const edge = rng.pick(NUMERIC_EDGES);
    return typeof current === 'number' && rng.chance(0.5) ? Number(edge) : edge;
  }
  return nastyValue(rng);
}

/** Wrong types and shapes for a JSON value. */
export function nastyValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(12)) {
    case 0: return null;
    case 1: return rng.pick([0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, -(2 ** 53)]);
    case 2: return rng.chance(0.5);
    case 3: return [];
    case 4: return {};
    case 5: return depth < 2 ? [nastyValue(rng, depth + 1), nastyValue(rng, depth + 1)] : 'x';
    case 6: return depth < 2 ? { [rng.pick(NASTY_STRINGS)]: nastyValue(rng, depth + 1) } : 'x';
    case 7: return deepNesting(rng.pick([50, 500]), rng.chance(0.5));
    case 8: return 'z'.repeat(rng.pick([1000, 70_000]));
    case 9: return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown;
    default: return rng.pick(NASTY_STRINGS);
  }
}

/** JSON text nested `levels` deep, as text (building it as a value would overflow the stack of JSON.stringify). */
export const deepJson = (levels: number, arrays: boolean): string =>
  arrays ? `${'['.repeat(levels)}1${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

function deepNesting(levels: number, arrays: boolean): unknown {
  let v: unknown = 'deep';
  for (let i = 0; i < levels; i++) v = arrays ? [v] : { a: v };
  return v;
}

/** A copy of `value` with one spot changed: a field replaced, removed or added, or the whole thing swapped. */
export function mutateJson(rng: Rng, value: unknown): unknown {
  if (rng.chance(0.08)) return nastyValue(rng);
  if (value === null || typeof value !== 'object') return nastyValue(rng);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const roll = rng.int(10);
  // Own properties even for `__proto__`, so the JSON text carries the key rather than a new prototype.
  const set = (key: string, v: unknown) => Object.defineProperty(copy, key, { value: v, enumerable: true, writable: true, configurable: true });
  if (keys.length === 0 || roll === 0) {
    set(rng.pick([...NASTY_STRINGS.slice(0, 30), 'extra', '@odata.type']), nastyValue(rng));
  } else {
    const key = rng.pick(keys);
    const current = (copy as Record<string, unknown>)[key];
    if (roll === 1) delete (copy as Record<string, unknown>)[key];
    else if (current !== null && typeof current === 'object' && rng.chance(0.6)) set(key, mutateJson(rng, current));
    else set(key, replacementFor(rng, current));
  }
  // Sometimes more than one thing is wrong at once.
  return rng.chance(0.25) ? mutateJson(rng, copy) : copy;
}

/** A form body (x-www-form-urlencoded) built from fields, with one or more things wrong in it. */
export function mutateForm(rng: Rng, fields: Record<string, string>): string {
  const pairs: [string, string][] = Object.entries(fields);
  const rounds = 1 + rng.int(3);
  const raw: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const roll = rng.int(9);
    if (roll === 0 && pairs.length) pairs.splice(rng.int(pairs.length), 1);
    else if (roll === 1 && pairs.length) { const p = rng.pick(pairs); pairs.push([p[0], rng.pick(NASTY_STRINGS)]); } // duplicate parameter
    else if (roll === 2) pairs.push([rng.pick(NASTY_STRINGS), rng.pick(NASTY_STRINGS)]);
    else if (roll === 3) raw.push(rng.pick(['%ZZ=1', 'a=%', '=', '&&&', 'a[b]=1', 'a[]=1&a[]=2', '__proto__[x]=1', 'constructor[prototype][x]=1', '%00=%00', 'a=%E0%A4%A']));
    else if (roll === 4 && pairs.length) { const i = rng.int(pairs.length); pairs[i] = [pairs[i]![0], 'v'.repeat(rng.pick([300, 5000, 70_000]))]; }
    else if (pairs.length) { const i = rng.int(pairs.length); const v = replacementFor(rng, pairs[i]![1]); pairs[i] = [pairs[i]![0], typeof v === 'string' ? v : rng.pick(NASTY_STRINGS)]; }
  }
  return [new URLSearchParams(pairs).toString(), ...raw].filter(Boolean).join('&');
}

/** Query strings: junk parameters and bad encodings after whatever `base` the route wants. */
export function junkQuery(rng: Rng, base: Record<string, string> = {}): string {
  const pairs: [string, string][] = Object.entries(base);
  const n = rng.int(3);
  for (let i = 0; i < n; i++) {
    const name = rng.pick(['top', 'to', 'next', '$top', '$filter', '$select', '$orderby', '$count', '$search', '$skiptoken', '$expand', 'client_id', 'code', rng.pick(NASTY_STRINGS)]);
    pairs.push([name, rng.pick(NASTY_STRINGS)]);
    if (rng.chance(0.2)) pairs.push([name, rng.pick(NASTY_STRINGS)]);
  }
  let q = new URLSearchParams(pairs).toString();
  if (rng.chance(0.15)) q += `&${rng.pick(['%ZZ', 'a=%E0%A4%A', '%', 'top=1&top=2', '$top=1e309', 'a'.repeat(9000)])}`;
  return q ? `?${q}` : '';
}

/** Percent-encodes every byte but unreserved ones; unlike encodeURIComponent it takes lone surrogates (as U+FFFD). */
export const percentEncode = (s: string): string =>
  [...Buffer.from(s, 'utf8')].map((b) => (/[\w.~-]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** A path parameter: usually one that exists, sometimes junk (encoded so it stays one segment). */
export function pathValue(rng: Rng, valid: readonly string[]): string {
  if (valid.length && rng.chance(0.6)) return percentEncode(rng.pick(valid));
  return rng.pick([percentEncode(rng.pick(NASTY_STRINGS)) || 'x', '%ZZ', '%E0%A4%A', 'x'.repeat(rng.pick([65, 300, 3000])), '%2F', '..', '.', '%00', '%C3%A9']);
}

/**
 * The same path spelled differently: one unreserved character percent-encoded (`/v1.0` as
 * `/%761.0`), which a router decodes; a stray `%` or a truncated escape, which it cannot.
 */
export function respellPath(rng: Rng, path: string): string {
  const q = path.indexOf('?');
  const [p, rest] = q === -1 ? [path, ''] : [path.slice(0, q), path.slice(q)];
  const spots = [...p].map((c, i) => (/[A-Za-z0-9.~-]/.test(c) ? i : -1)).filter((i) => i >= 0);
  const roll = rng.int(3);
  if (roll === 0 && spots.length) {
    const i = rng.pick(spots);
    return `${p.slice(0, i)}%${p.charCodeAt(i).toString(16).padStart(2, '0')}${p.slice(i + 1)}${rest}`;
  }
  const seg = p.indexOf('/', 1) === -1 ? p.length : p.indexOf('/', 1);
  return `${p.slice(0, seg)}${roll === 1 ? '%' : '%E0%A4%A'}${p.slice(seg)}${rest}`;
}

// ---------------------------------------------------------------------------------------------
// Routes

export interface RouteEntry { method: string; path: string }

/**
 * fastify's routes from `app.printRoutes({ commonPrefix: false })`: a tree drawn with box
 * characters, four columns per level, each line a path segment and its methods.
 */
export function parseRouteTree(tree: string): RouteEntry[] {
  const stack: string[] = [];
  const out: RouteEntry[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = [...m[1]!].length / 4;
    // A parametric segment shared by routes that name it differently prints as `:tenant|:version`.
    const path = (stack[depth - 1] ?? '') + m[2]!.replace(/(:\w+)(?:\|:\w+)+/g, '$1');
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) out.push({ method, path });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sending

export interface FuzzRequest {
  method: string;
  /** sent as is: percent-encoding, dots and duplicates are not touched */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface FuzzResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A keep-alive client for one origin; a request that stalls past `timeoutMs` rejects. */
export function rawClient(origin: string, { timeoutMs = 10_000 } = {}) {
  const url = new URL(origin);
  const secure = url.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 4 }) : new HttpAgent({ keepAlive: true, maxSockets: 4 });
  const send = (r: FuzzRequest): Promise<FuzzResponse> => new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    if (body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['content-length'] = String(body.length);
    const req = (secure ? httpsRequest : httpRequest)({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }); });
      res.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms (stalled)`)), timeoutMs);
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    req.end(body);
  });
  return { send, close: () => agent.destroy() };
}

/** One line per request, short enough to read in a failure list. */
export function describeRequest(r: FuzzRequest): string {
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
  const body = r.body === undefined ? '' : ` body=${JSON.stringify(clip(r.body.toString(), 300))}`;
  const type = r.headers?.['content-type'] ? ` content-type=${JSON.stringify(r.headers['content-type'])}` : '';
  const auth = r.headers?.authorization ? ` authorization=${JSON.stringify(clip(r.headers.authorization, 40))}` : '';
  return `${r.method} ${clip(r.path, 300)}${type}${auth}${body}`;
}
