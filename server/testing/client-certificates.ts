import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as Crypto);

const DAY = 24 * 60 * 60 * 1000;

/** A self-signed RSA certificate as an app developer makes one for certificate credentials. */
export interface TestCertificate {
  /** base64 DER: Graph's keyCredential.key */
  key: string;
  /** PKCS#8 PEM, for msal-node's clientCertificate.privateKey */
  privateKeyPem: string;
  /** hex SHA-1 thumbprint (msal-node's clientCertificate.thumbprint) */
  thumbprint: string;
  /** hex SHA-256 thumbprint (msal-node's clientCertificate.thumbprintSha256) */
  thumbprintSha256: string;
  privateKey: CryptoKey;
}

export async function makeCertificate(options: { now?: Date; notBefore?: Date; notAfter?: Date; cn?: string } = {}): Promise<TestCertificate> {
  const now = options.now ?? new Date();
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: createHash('sha1').update(String(Math.random())).digest('hex').slice(0, 16),
    name: `CN=${options.cn ?? 'ciam-emulator test daemon'}`,
    notBefore: options.notBefore ?? new Date(now.getTime() - DAY),
    notAfter: options.notAfter ?? new Date(now.getTime() + 365 * DAY),
    signingAlgorithm: alg,
    keys,
  });
  const der = Buffer.from(cert.rawData);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return {
    key: der.toString('base64'),
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`,
    thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
    privateKey: keys.privateKey,
  };
}
