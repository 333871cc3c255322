import type { FastifyRequest } from 'fastify';
import { badRequest, unsupportedQuery } from './errors.js';

/**
 * OData system query options as Graph reads them. Each route names the options it supports; any
 * other `$option` is rejected (400) rather than ignored, so a client never gets a silently wrong answer.
 */
export interface QueryOptions {
  select?: string[];
  filter?: string;
  top?: number;
  skiptoken?: string;
  count?: boolean;
  orderby?: string;
  search?: string;
  expand?: string;
}

const KNOWN = ['$select', '$filter', '$top', '$skiptoken', '$count', '$orderby', '$search', '$expand', '$skip', '$format'] as const;

export function queryOptions(req: FastifyRequest, allowed: string[]): QueryOptions {
  const q = req.query as Record<string, string | string[] | undefined>;
  const out: QueryOptions = {};
  for (const [rawKey, rawValue] of Object.entries(q)) {
    const key = rawKey.startsWith('$') ? rawKey : (KNOWN as readonly string[]).includes(`$${rawKey}`) ? `$${rawKey}` : rawKey;
    if (!key.startsWith('$')) continue; // plain query parameters are not OData options
    if (Array.isArray(rawValue)) throw badRequest(`Query option '${key}' was specified more than once, but it must be specified at most once.`);
    const value = rawValue ?? '';
    if (!allowed.includes(key)) {
      if (!(KNOWN as readonly string[]).includes(key)) throw badRequest(`Query option '${key}' is not supported.`);
      throw unsupportedQuery(`The query option '${key}' is not supported by ciam-emulator on this endpoint.`);
    }
    switch (key) {
      case '$select': out.select = value.split(',').map((s) => s.trim()).filter(Boolean); break;
      case '$filter': out.filter = value; break;
      case '$top': {
        if (!/^\d+$/.test(value)) throw badRequest(`Invalid value '${value}' for query option '$top'.`);
        const n = Number(value);
        if (n < 1 || n > 999) throw badRequest(`Invalid page size specified: '${value}'. Must be between 1 and 999 inclusive.`);
        out.top = n;
        break;
      }
      case '$skiptoken': out.skiptoken = value; break;
      case '$count':
        if (value !== 'true' && value !== 'false') throw badRequest(`Invalid value '${value}' for query option '$count'.`);
        out.count = value === 'true';
        break;
      case '$orderby': out.orderby = value.trim(); break;
      case '$search': out.search = value; break;
      case '$expand': out.expand = value; break;
      default: throw unsupportedQuery(`The query option '${key}' is not supported by ciam-emulator.`);
    }
  }
  return out;
}

/** $count and advanced queries need `ConsistencyLevel: eventual`, as in Graph. */
export function requireEventual(req: FastifyRequest, what: string): void {
  if (String(req.headers.consistencylevel ?? '').toLowerCase() !== 'eventual') {
    throw badRequest(`${what} requires the ConsistencyLevel header set to 'eventual'.`);
  }
}

/** Keeps `@odata.type` / `@odata.*` and the selected properties, in the order asked. */
export function project(entity: Record<string, unknown>, select: string[] | undefined, defaults: string[]): Record<string, unknown> {
  const keys = select ?? defaults;
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = entity[k] ?? null;
  return out;
}

export const skiptoken = {
  encode: (v: { key: string; id: string }) => Buffer.from(JSON.stringify(v)).toString('base64url'),
  decode(s: string): { key: string; id: string } {
    try {
      const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { key?: unknown; id?: unknown };
      if (typeof v.key === 'string' && typeof v.id === 'string') return { key: v.key, id: v.id };
    } catch { /* fall through */ }
    throw badRequest(`The $skiptoken '${s}' is not valid.`);
  },
};
