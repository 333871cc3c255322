import { X509Certificate, createHash, type KeyObject } from 'node:crypto';

/**
 * An application's certificate credential (Graph keyCredential, `type: AsymmetricX509Cert`,
 * `usage: Verify`): the public certificate a confidential client signs its client assertions for.
 * Entra finds it by the assertion header's `x5t` (SHA-1 thumbprint) or `x5t#S256` (SHA-256).
 */
export interface KeyCredential {
  keyId: string;
  displayName: string | null;
  /** Graph's customKeyIdentifier (Edm.Binary as base64); the portal sets it to the SHA-1 thumbprint */
  customKeyIdentifier: string | null;
  /** the certificate, base64 DER (Graph's `key`) */
  certificate: string;
  /** upper-case hex, as Entra writes it in AADSTS700027 */
  thumbprintSha1: string;
  thumbprintSha256: string;
  startAt: number;
  endAt: number;
}

/** A registered certificate ready for verification. */
export interface Certificate extends KeyCredential {
  publicKey: KeyObject;
}

export interface KeyCredentialInput {
  keyId: string;
  displayName: string | null;
  customKeyIdentifier?: string | null;
  /** base64 DER of the certificate (Graph's keyCredential.key) */
  key: string;
  /** defaults to the certificate's notBefore / notAfter, as Graph does */
  startAt?: number;
  endAt?: number;
}

export class InvalidCertificateError extends Error {}

/** Parses Graph's `key` (base64 of the DER certificate); throws InvalidCertificateError when it is not one. */
export function parseCertificate(key: string): { der: Buffer; cert: X509Certificate } {
  const der = /^[A-Za-z0-9+/]+={0,2}$/.test(key.replace(/\s+/g, '')) ? Buffer.from(key, 'base64') : Buffer.alloc(0);
  try {
    if (der.length === 0) throw new Error('not base64');
    return { der, cert: new X509Certificate(der) };
  } catch {
    throw new InvalidCertificateError('Key value is not a valid X.509 certificate (base64 DER expected).');
  }
}

export function keyCredentialFrom(input: KeyCredentialInput): KeyCredential {
  const { der, cert } = parseCertificate(input.key);
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    // Entra's AsymmetricX509Cert credentials are RSA keys (RS256 / PS256 assertions).
    throw new InvalidCertificateError('Only RSA certificates are supported for keyCredentials of type AsymmetricX509Cert.');
  }
  const sha1 = createHash('sha1').update(der).digest();
  const startAt = input.startAt ?? Date.parse(cert.validFrom);
  const endAt = input.endAt ?? Date.parse(cert.validTo);
  if (!(endAt > startAt)) throw new InvalidCertificateError('keyCredential endDateTime must be after its startDateTime.');
  return {
    keyId: input.keyId.toLowerCase(),
    displayName: input.displayName,
    customKeyIdentifier: input.customKeyIdentifier ?? sha1.toString('base64'),
    certificate: der.toString('base64'),
    thumbprintSha1: sha1.toString('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
    startAt,
    endAt,
  };
}

/** The hex thumbprint an assertion header names (`x5t` is base64url of the SHA-1, `x5t#S256` of the SHA-256). */
export function thumbprintHex(x5t: unknown): string | undefined {
  if (typeof x5t !== 'string' || !/^[A-Za-z0-9_-]+={0,2}$/.test(x5t)) return undefined;
  return Buffer.from(x5t, 'base64url').toString('hex').toUpperCase();
}
