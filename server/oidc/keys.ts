import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/connection.js';
import type { Clock } from '../clock.js';

/**
 * Each tenant signs with its own RSA-2048 key (RS256), made at first start and kept in the database,
 * so tokens stay valid across restarts and startup skips the ~150 ms key generation.
 * The `kid` is a base64url thumbprint, like the opaque kids in Entra's JWKS.
 */
export async function ensureSigningKeys(db: Db, tenantId: string, clock: Clock, cacheDir?: string): Promise<{ keys: JWK[] }> {
  const rows = db.prepare<[string], { private_jwk_json: string }>(
    'SELECT private_jwk_json FROM signing_keys WHERE tenant_id = ? ORDER BY created_at DESC').all(tenantId);
  if (rows.length > 0) return { keys: rows.map((r) => JSON.parse(r.private_jwk_json) as JWK) };

  // An in-memory database starts without keys every time; with a cache folder (the certs folder) the
  // key is made once per machine, which keeps in-process starts for test suites fast.
  const cacheFile = cacheDir ? join(cacheDir, `signing-key-${tenantId}.json`) : undefined;
  const key = cacheFile && existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) as JWK : await newSigningKey();
  if (cacheFile && !existsSync(cacheFile)) {
    mkdirSync(cacheDir!, { recursive: true });
    writeFileSync(cacheFile, JSON.stringify(key), { mode: 0o600 });
  }
  const kid = key.kid!;
  db.prepare('INSERT INTO signing_keys (tenant_id, kid, alg, private_jwk_json, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(tenantId, kid, 'RS256', JSON.stringify(key), clock.nowMs());
  return { keys: [key] };
}

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = (await calculateJwkThumbprint(jwk, 'sha256')).slice(0, 27);
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}
