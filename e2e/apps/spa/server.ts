import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { APPS, isMain, sampleConfig, type SampleConfig, listenOnLoopback, type RunningApp } from '../sample-config.js';

/**
 * Serves the vanilla-JS single-page app of the quickstart (public/) with @azure/msal-browser from
 * node_modules, and a /config.js carrying the few values that differ from a real tenant.
 */
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const msal = (p: string) => fileURLToPath(new URL(`../../../node_modules/@azure/msal-browser/lib/${p}`, import.meta.url));

const FILES: Record<string, [string, string]> = {
  '/': [here('./public/index.html'), 'text/html'],
  '/index.html': [here('./public/index.html'), 'text/html'],
  '/redirect': [here('./public/redirect.html'), 'text/html'],
  '/app.js': [here('./public/app.js'), 'text/javascript'],
  '/app.css': [here('./public/app.css'), 'text/css'],
  '/vendor/msal-browser.js': [msal('msal-browser.min.js'), 'text/javascript'],
  '/vendor/msal-redirect-bridge.js': [msal('redirect-bridge/msal-redirect-bridge.min.js'), 'text/javascript'],
};

export async function startSpa(config: SampleConfig, port = 3000): Promise<RunningApp> {
  const configJs = `window.SAMPLE_CONFIG = ${JSON.stringify({
    clientId: APPS.spa.clientId,
    // `?app=otp` signs in with this registration instead (the email one-time passcode user flow).
    otpClientId: APPS.otp.clientId,
    authority: config.authority,
    knownAuthorities: [config.knownAuthority],
    apiUrl: config.apiUrl,
    apiScope: APPS.api.scope,
  })};\n`;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/config.js') return void res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(configJs);
    const file = FILES[path];
    if (!file) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    res.writeHead(200, { 'content-type': `${file[1]}; charset=utf-8`, 'cache-control': 'no-store' }).end(readFileSync(file[0]));
  });
  return listenOnLoopback(server, port);
}

if (isMain(import.meta.url)) {
  const { port } = await startSpa(sampleConfig(), Number(process.env.PORT ?? 3000));
  process.stdout.write(`Contoso SPA on http://localhost:${port}\n`);
}
