import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { JWK } from 'jose';

x509.cryptoProvider.set(webcrypto as Crypto);

const CERT_SUBJECT = 'CN=accounts.accesscontrol.windows.net';
const CERT_YEARS = 5;
const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

/**
 * The key with `x5c`: a self-signed certificate shaped like Entra's (v3, SHA256withRSA, subject and
 * issuer CN=accounts.accesscontrol.windows.net, a subject key identifier, five years from `notBefore`).
 * The serial number comes from the key, so no randomness is needed. This module (and @peculiar/x509)
 * is imported only when a certificate must be made: an ordinary start finds them in the database.
 * A static import, as in ../tls/authority.ts: esbuild's bundle gives a dynamic import of
 * @peculiar/x509 no named exports, so `npm start` failed on a fresh data folder.
 */
export async function selfSignedCertificate(jwk: JWK, notBefore: Date): Promise<JWK> {
  const { alg: _alg, kid: _kid, use: _use, x5c: _x5c, key_ops: _ops, ...material } = jwk;
  const publicMaterial = Object.fromEntries(Object.entries(material).filter(([k]) => !PRIVATE_MEMBERS.includes(k)));
  const keys = {
    privateKey: await webcrypto.subtle.importKey('jwk', material as JsonWebKey, RSA_SHA256, true, ['sign']),
    publicKey: await webcrypto.subtle.importKey('jwk', publicMaterial as JsonWebKey, RSA_SHA256, true, ['verify']),
  };
  const serial = createHash('sha256').update(String(jwk.n)).digest().subarray(0, 8);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CERT_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: CERT_SUBJECT,
    notBefore,
    notAfter,
    signingAlgorithm: RSA_SHA256,
    keys,
    extensions: [await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { ...jwk, x5c: [Buffer.from(cert.rawData).toString('base64')] };
}
