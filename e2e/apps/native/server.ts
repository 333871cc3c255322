import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { isMain, sampleConfig, APPS, type SampleConfig, listenOnLoopback, type RunningApp } from '../sample-config.js';
import type { NativePageConfig } from './browser.js';

/**
 * The native authentication test page: index.html, /config.js and /app.js, which is ./browser.ts with
 * `@azure/msal-browser/custom-auth` bundled by esbuild at start (the SDK ships ESM only). The SDK talks
 * to the emulator's CORS mount (`/_emulator/cors/{tenant}`) as its `authApiProxyUrl`.
 */
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export async function startNativeApp(config: SampleConfig, port = 3004, options: { mfaClientId?: string } = {}): Promise<RunningApp> {
  const bundle = await build({ entryPoints: [here('./browser.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  const appJs = bundle.outputFiles[0]!.text;
  const tenant = new URL(config.authority).pathname.slice(1);
  const pageConfig: NativePageConfig = {
    clientId: APPS.spa.clientId,
    otpClientId: APPS.otp.clientId,
    authority: config.authority,
    proxy: `${config.emulatorUrl}/_emulator/cors/${tenant}`,
    // an app that requires MFA, when the emulator has one (the browser tests add it to their fixtures)
    ...(options.mfaClientId ? { mfaClientId: options.mfaClientId } : {}),
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (type: string, body: string | Buffer) => void res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' }).end(body);
    if (path === '/' || path === '/index.html') return send('text/html', readFileSync(here('./public/index.html')));
    if (path === '/config.js') return send('text/javascript', `window.NATIVE_CONFIG = ${JSON.stringify(pageConfig)};\n`);
    if (path === '/app.js') return send('text/javascript', appJs);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  return listenOnLoopback(server, port);
}

if (isMain(import.meta.url)) {
  const { port } = await startNativeApp(sampleConfig(), Number(process.env.PORT ?? 3004));
  process.stdout.write(`Native auth test page on http://localhost:${port}\n`);
}
