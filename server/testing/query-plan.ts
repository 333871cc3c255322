import type { Db } from '../db/connection.js';

/**
 * What SQL a repository runs, and how SQLite plans it: a test (and bench/scale.ts) hands a
 * repository a recording view of the database, calls the real method, then asks EXPLAIN QUERY PLAN
 * about exactly the statements and parameters it executed. So an index regression — a query that
 * falls back to reading every user of a tenant — fails a test, not only a benchmark.
 */
export interface ExecutedQuery {
  sql: string;
  params: unknown[];
}

export function recordingDb(db: Db): { db: Db; executed: ExecutedQuery[] } {
  const executed: ExecutedQuery[] = [];
  const bind = <T extends object>(target: T, prop: string | symbol) => {
    const v = Reflect.get(target, prop, target) as unknown;
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
  };
  const wrapStatement = <S extends object>(stmt: S, sql: string): S => new Proxy(stmt, {
    get(target, prop) {
      if (prop === 'get' || prop === 'all' || prop === 'run' || prop === 'iterate') {
        return (...params: unknown[]) => {
          executed.push({ sql, params });
          return (Reflect.get(target, prop, target) as (...a: unknown[]) => unknown).apply(target, params);
        };
      }
      return bind(target, prop);
    },
  });
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrapStatement(target.prepare(sql), sql);
      return bind(target, prop);
    },
  });
  return { db: proxy, executed };
}

/** The `detail` lines of EXPLAIN QUERY PLAN for one executed query. */
export function queryPlan(db: Db, q: ExecutedQuery): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[]).map((r) => r.detail);
}

/**
 * Steps that read a whole table or a whole tenant's rows of `table` (alias `alias`): `SCAN <table>`,
 * or a SEARCH that only narrows by tenant_id (the tenant's share of a million users is all of them).
 */
export function fullReads(plan: string[], table: string, alias = table): string[] {
  const names = [table, alias].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const scan = new RegExp(`^SCAN (${names})\\b`);
  const tenantOnly = new RegExp(`^SEARCH (${names}) USING .*\\(tenant_id=\\?\\)$`);
  return plan.filter((line) => scan.test(line) || tenantOnly.test(line));
}
