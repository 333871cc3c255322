/**
 * The browser the e2e tests drive: Debian's Chromium (Playwright's own download cannot reach its
 * CDN here). e2e/run.mjs checks that it exists before Playwright starts.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these Chromium's own outbound connections (updates, sync, field trials) fail noisily
  // in a sandbox with no internet access.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Trusts exactly the emulator's TLS certificate: Chromium accepts a certificate whose
 * SubjectPublicKeyInfo hashes (SHA-256, base64) to one of these, and still checks every other site
 * normally. Playwright always launches with its own --user-data-dir, which Chromium requires
 * before it honours this switch.
 */
export function trustCertificateArg(spkiSha256: string): string {
  return `--ignore-certificate-errors-spki-list=${spkiSha256}`;
}

/**
 * Sends the browser's connections for each `host:port` (e.g. localhost:3001) to a local port
 * instead; URLs, origins and cookies still say `host:port`. One switch holds every rule (a second
 * --host-resolver-rules would replace the first).
 */
export function mapHostArg(ports: Record<string, number>): string {
  return `--host-resolver-rules=${Object.entries(ports).map(([hostPort, to]) => `MAP ${hostPort} 127.0.0.1:${to}`).join(',')}`;
}
