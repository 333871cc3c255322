import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, makePrivate } from '../paths.js';

/**
 * A local certificate authority and a leaf certificate for the emulator, made at first start and
 * kept in the certs folder (never committed). Developers trust the CA once (NODE_EXTRA_CA_CERTS for
 * Node, the OS or browser store for browsers); the leaf is remade when it nears expiry, when a new
 * host name must be covered, or when the CA changed. ECDSA P-256 keeps generation in milliseconds.
 */
const DAY = 24 * 60 * 60 * 1000;

export interface TlsMaterial {
  caFile: string;
  caPem: string;
  key: string;
  cert: string;
}

export async function ensureCertificates(dir: string, hosts: string[], now = new Date()): Promise<TlsMaterial> {
  ensurePrivateDir(dir);
  const files = { ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'), cert: join(dir, 'tls-cert.pem'), key: join(dir, 'tls-key.pem') };
  const names = [...new Set(['localhost', '127.0.0.1', '::1', ...hosts].map((h) => h.replace(/^\[|\]$/g, '')))];
  if (!existsSync(files.ca) || !existsSync(files.caKey) || !leafIsUsable(files.cert, files.key, files.ca, names, now)) {
    const { issueCertificates } = await import('./authority.js');
    await issueCertificates(files, names, now);
  }
  // The private keys are owner-only whatever the umask was when they were written (or by an older version).
  makePrivate(files.caKey, files.key);
  return { caFile: files.ca, caPem: readFileSync(files.ca, 'utf8'), key: readFileSync(files.key, 'utf8'), cert: readFileSync(files.cert, 'utf8') };
}

/** Checked with node:crypto alone: signed by our CA, not near expiry, covering every name. */
function leafIsUsable(certFile: string, keyFile: string, caFile: string, names: string[], now: Date): boolean {
  if (!existsSync(certFile) || !existsSync(keyFile)) return false;
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    const ca = new X509Certificate(readFileSync(caFile));
    if (!cert.verify(ca.publicKey)) return false;
    if (Date.parse(cert.validTo) - now.getTime() < 30 * DAY) return false;
    const covered = new Set((cert.subjectAltName ?? '').split(', ').map((entry) => entry.replace(/^(DNS|IP Address):/, '').toLowerCase()));
    return names.every((n) => covered.has(n.toLowerCase()) || covered.has(expandIPv6(n)));
  } catch {
    return false;
  }
}

const expandIPv6 = (ip: string) => (ip === '::1' ? '0:0:0:0:0:0:0:1' : ip);
