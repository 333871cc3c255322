import { startApi } from '../apps/api/server.js';
import { startSpa } from '../apps/spa/server.js';
import { startWebApp } from '../apps/web/server.js';
import { sampleConfig } from '../apps/sample-config.js';

/**
 * The three quickstart apps, started in the test worker on free ports; the browser reaches them at
 * their registered origins through --host-resolver-rules (fixtures.ts).
 */
export interface SampleApps {
  spa: number;
  web: number;
  api: number;
  close(): Promise<void>;
}

export async function startSampleApps(emulatorUrl: string): Promise<SampleApps> {
  const base = sampleConfig({ EMULATOR_URL: emulatorUrl });
  const api = await startApi(base, 0);
  // The browser calls the API at its registered origin; the web app's server calls it directly.
  const spa = await startSpa({ ...base, apiUrl: 'http://localhost:3002' }, 0);
  const web = await startWebApp({ ...base, apiUrl: `http://127.0.0.1:${api.port}` }, 0);
  return {
    spa: spa.port,
    web: web.port,
    api: api.port,
    close: async () => { await Promise.all([spa.close(), web.close(), api.close()]); },
  };
}
