/** The environment variables through which the global setup describes the running emulator. */
export const E2E_ENV = {
  url: 'CIAM_E2E_URL',
  spki: 'CIAM_E2E_SPKI_SHA256',
  /** the CA (PEM file) that issued the emulator's TLS certificate, for calls from the test process */
  ca: 'CIAM_E2E_CA_FILE',
} as const;

export function fromSetup(name: (typeof E2E_ENV)[keyof typeof E2E_ENV]): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with \`npm run test:e2e\` (the global setup starts the emulator)`);
  return value;
}
