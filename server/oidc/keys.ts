import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/connection.js';
import type { Clock } from '../clock.js';

/**
 * Each tenant signs with its own RSA-2048 keys (RS256), kept in the database so tokens stay valid
 * across restarts and startup skips the ~150 ms key generation.
 *
 * Rollover follows Entra ("Signing key rollover in the Microsoft identity platform"): a new key is
 * published in the JWKS before it signs (`activates_at` in the future), and a key that stopped
 * signing stays published until every token it signed has expired. A tenant's keys are its own.
 */
export interface SigningKey {
  kid: string;
  /** the private JWK as oidc-provider takes it, with `x5c` */
  jwk: JWK;
  /** epoch ms from which this key signs (0: since the tenant was made) */
  activatesAt: number;
  createdAt: number;
}

/**
 * The longest-lived token signed with a tenant key: access tokens live a random 60–90 minutes
 * (server/oidc/provider.ts ttl); id_tokens an hour. A retired key stays published this long after
 * it stopped signing.
 */
export const SIGNED_TOKEN_MAX_LIFETIME_MS = 90 * 60 * 1000;

/** Entra's signing certificates are self-signed, valid five years, with this subject. */

export class KeyRotationError extends Error {}

interface KeyRow { kid: string; private_jwk_json: string; activates_at: number; created_at: number }

/** The tenant's keys in activation order (ties: the older key first). */
export function readSigningKeys(db: Db, tenantId: string): SigningKey[] {
  return db.prepare<[string], KeyRow>(
    'SELECT kid, private_jwk_json, activates_at, created_at FROM signing_keys WHERE tenant_id = ? ORDER BY activates_at, created_at, rowid').all(tenantId)
    .map((r) => ({ kid: r.kid, jwk: JSON.parse(r.private_jwk_json) as JWK, activatesAt: r.activates_at, createdAt: r.created_at }));
}

/**
 * The tenant's keys, making the first one at first start and a certificate for any key that has
 * none yet (keys made before certificates were published, or imported from an older snapshot).
 */
export async function ensureSigningKeys(db: Db, tenantId: string, clock: Clock, cacheDir?: string): Promise<SigningKey[]> {
  let keys = readSigningKeys(db, tenantId);
  if (keys.length === 0) {
    // An in-memory database starts without keys every time; with a cache folder (the certs folder) the
    // key is made once per machine, which keeps in-process starts for test suites fast.
    const cacheFile = cacheDir ? join(cacheDir, `signing-key-${tenantId}.json`) : undefined;
    const cached = cacheFile && existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) as JWK : undefined;
    let key = cached ?? await newSigningKey(clock.now());
    if (!key.x5c) key = await withCertificate(key, clock.now());
    if (cacheFile && key !== cached) {
      mkdirSync(cacheDir!, { recursive: true });
      writeFileSync(cacheFile, JSON.stringify(key), { mode: 0o600 });
    }
    insertKey(db, tenantId, key, 0, clock.nowMs());
    return readSigningKeys(db, tenantId);
  }
  for (const key of keys.filter((k) => !k.jwk.x5c)) {
    const jwk = await withCertificate(key.jwk, new Date(key.createdAt));
    db.prepare('UPDATE signing_keys SET private_jwk_json = ? WHERE tenant_id = ? AND kid = ?').run(JSON.stringify(jwk), tenantId, key.kid);
  }
  if (keys.some((k) => !k.jwk.x5c)) keys = readSigningKeys(db, tenantId);
  return keys;
}

export interface RotationResult {
  kid: string;
  previousKid: string;
  activatesAt: Date;
  /** when the previous key leaves the JWKS: the longest token it can still sign has expired */
  previousKeyPublishedUntil: Date;
}

/**
 * Adds a new key that signs from `activateAt` (now when absent); the key signing now stops then and
 * stays published for SIGNED_TOKEN_MAX_LIFETIME_MS more. The caller reloads the tenant's provider.
 */
export async function rotateSigningKeys(db: Db, tenantId: string, clock: Clock, activateAt?: Date): Promise<RotationResult> {
  const now = clock.nowMs();
  const at = activateAt ? activateAt.getTime() : now;
  if (at < now) throw new KeyRotationError(`activateAt ${activateAt!.toISOString()} is in the past (the emulator's clock says ${clock.now().toISOString()}): give "now" or a later date`);
  const key = await newSigningKey(clock.now());
  let previous: SigningKey | undefined;
  db.transaction(() => {
    const before = readSigningKeys(db, tenantId);
    if (before.length === 0) throw new KeyRotationError(`tenant ${tenantId} has no signing keys`);
    const schedule = keySchedule(before, now);
    previous = schedule.signing;
    // A key still waiting to sign (an earlier rotation with a later activateAt) is withdrawn: it has
    // signed nothing, and one key waiting at a time keeps "which key signs when" obvious. Keys whose
    // publication has ended are deleted.
    const kept = new Set(schedule.published.filter((k) => k === schedule.signing || k.activatesAt <= now).map((k) => k.kid));
    for (const k of before) if (!kept.has(k.kid)) db.prepare('DELETE FROM signing_keys WHERE tenant_id = ? AND kid = ?').run(tenantId, k.kid);
    insertKey(db, tenantId, key, at, now);
  })();
  return { kid: key.kid!, previousKid: previous!.kid, activatesAt: new Date(at), previousKeyPublishedUntil: new Date(at + SIGNED_TOKEN_MAX_LIFETIME_MS) };
}

export interface KeySchedule {
  /** the key that signs now */
  signing: SigningKey;
  /** what the JWKS lists now: the signing key first, then keys not yet signing, then retiring ones */
  published: SigningKey[];
  /** the arrangement holds while validFrom <= now < validUntil */
  validFrom: number;
  validUntil: number;
}

/** The key signing at `t`: the last one activated by then (the oldest if the clock is before all of them). */
function signingKeyAt(keys: SigningKey[], t: number): SigningKey {
  let signing = keys[0]!;
  for (const k of keys) if (k.activatesAt <= t) signing = k;
  return signing;
}

/** Which key signs and which are published at `now`, and until when that holds. */
export function keySchedule(keys: SigningKey[], now: number): KeySchedule {
  const signing = signingKeyAt(keys, now);
  const changes: number[] = [];
  const pending: SigningKey[] = [];
  const retiring: SigningKey[] = [];
  keys.forEach((k, i) => {
    changes.push(k.activatesAt);
    const next = keys[i + 1];
    const unpublishedAt = next ? next.activatesAt + SIGNED_TOKEN_MAX_LIFETIME_MS : Infinity;
    changes.push(unpublishedAt);
    if (k === signing) return;
    if (k.activatesAt > now) pending.push(k);
    else if (unpublishedAt > now) retiring.push(k);
  });
  return {
    signing,
    published: [signing, ...pending, ...retiring.reverse()],
    validFrom: Math.max(-Infinity, ...changes.filter((c) => c <= now)),
    validUntil: Math.min(Infinity, ...changes.filter((c) => c > now)),
  };
}

/**
 * The JWKS as Entra publishes it: `kty, use, kid, x5t, n, e, x5c, issuer` in that order and no `alg`
 * (the recorded login.microsoftonline.com/common/discovery/v2.0/keys, fidelity-gaps.md S1).
 */
export function entraJwks(keys: SigningKey[], issuer: string): { keys: Record<string, unknown>[] } {
  return {
    keys: keys.map(({ kid, jwk }) => ({
      kty: jwk.kty, use: 'sig', kid, x5t: x5t(jwk.x5c![0]!), n: jwk.n, e: jwk.e, x5c: [...jwk.x5c!], issuer,
    })),
  };
}

/** base64url SHA-1 of the DER certificate (RFC 7517 §4.8), which Entra also uses as the `kid`. */
export function x5t(certBase64: string): string {
  return createHash('sha1').update(Buffer.from(certBase64, 'base64')).digest('base64url');
}

function insertKey(db: Db, tenantId: string, key: JWK, activatesAt: number, createdAt: number): void {
  db.prepare('INSERT INTO signing_keys (tenant_id, kid, alg, private_jwk_json, created_at, activates_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(tenantId, key.kid!, 'RS256', JSON.stringify(key), createdAt, activatesAt);
}

/** A new key with its certificate; as in Entra the `kid` is the certificate's `x5t`. */
async function newSigningKey(now: Date): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await withCertificate({ ...await exportJWK(privateKey), alg: 'RS256', use: 'sig' }, now);
  return { ...jwk, kid: x5t(jwk.x5c![0]!) };
}

/** The key with `x5c` (./key-certificate.ts, loaded only when a certificate must be made). */
async function withCertificate(jwk: JWK, notBefore: Date): Promise<JWK> {
  const { selfSignedCertificate } = await import('./key-certificate.js');
  return selfSignedCertificate(jwk, notBefore);
}
