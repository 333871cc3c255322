import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';

/**
 * Makes the local certificate authority (once) and a leaf certificate for the emulator's host names.
 * Loaded only when a certificate must be made, so an ordinary start does not load @peculiar/x509.
 */
x509.cryptoProvider.set(webcrypto as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

export interface CertificateFiles {
  ca: string;
  caKey: string;
  cert: string;
  key: string;
}

export async function issueCertificates(files: CertificateFiles, names: string[], now: Date): Promise<void> {
  let ca: { cert: x509.X509Certificate; keys: CryptoKeyPair };
  if (existsSync(files.ca) && existsSync(files.caKey)) {
    ca = { cert: new x509.X509Certificate(readFileSync(files.ca, 'utf8')), keys: await importKeyPair(readFileSync(files.caKey, 'utf8'), readFileSync(files.ca, 'utf8')) };
  } else {
    ca = await createCa(now);
    writeFileSync(files.caKey, await privateKeyPem(ca.keys.privateKey), { mode: 0o600 });
    writeFileSync(files.ca, ca.cert.toString('pem'));
  }
  const leaf = await createLeaf(ca, names, now);
  writeFileSync(files.key, await privateKeyPem(leaf.keys.privateKey), { mode: 0o600 });
  writeFileSync(files.cert, `${leaf.cert.toString('pem')}\n`);
}

async function createCa(now: Date) {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=ciam-emulator local CA (${now.toISOString().slice(0, 10)}), O=ciam-emulator`,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 3650 * DAY),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

async function createLeaf(ca: { cert: x509.X509Certificate; keys: CryptoKeyPair }, names: string[], now: Date) {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost, O=ciam-emulator',
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - DAY),
    // Browsers refuse leaf certificates valid for more than 398 days.
    notAfter: new Date(now.getTime() + 397 * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ],
  });
  return { cert, keys };
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKeyPair(keyPem: string, certPem: string): Promise<CryptoKeyPair> {
  const privateKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPem), ALG, true, ['sign']);
  const publicKey = await new x509.X509Certificate(certPem).publicKey.export(ALG, ['verify'], webcrypto as Crypto);
  return { privateKey, publicKey };
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // a positive serial number
  return Buffer.from(bytes).toString('hex');
}
