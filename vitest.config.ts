import { defineConfig } from 'vitest/config';
import { ensureCertificates } from './server/tls/certificates.js';
import { TEST_CERTS } from './server/testing/harness.js';

// Tests talk https to the emulator with real clients (MSAL refuses http authorities). The test CA
// is made once here, before the workers start, and NODE_EXTRA_CA_CERTS makes Node trust it — the
// same setting the README tells users about.
export default defineConfig(async () => {
  const tls = await ensureCertificates(TEST_CERTS, []);
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
  return {
    test: {
      include: ['server/**/*.test.ts'],
      pool: 'forks',
      testTimeout: 20_000,
      hookTimeout: 20_000,
    },
  };
});
