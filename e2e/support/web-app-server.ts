import { createServer } from 'node:http';
import { listenOnLoopback } from '../apps/sample-config.js';

/**
 * A stand-in for the Contoso Web App: a plain HTTP server on a free loopback port that answers
 * every request with a tiny page and remembers what it was asked for. The browser reaches it as
 * http://localhost:3001 through Chromium's --host-resolver-rules (see fixtures.ts).
 *
 * Why not page.route('http://localhost:3001/**')? Playwright does not route the target of a
 * redirect ("page.route() will not intercept … redirects", microsoft/playwright#3993, #17161), and
 * the emulator reaches the app only through redirects, so the browser would try a real connection
 * to port 3001 (ERR_CONNECTION_REFUSED, or whatever app happens to listen there).
 */
export interface WebAppServer {
  port: number;
  /** every path+query requested so far (favicon requests left out) */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

const PAGE = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Contoso Web App</title></head>'
  + '<body><h1>Contoso Web App</h1><p>Redirect received.</p></body></html>';

export async function startWebAppServer(): Promise<WebAppServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    requests.push(req.url ?? '/');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE);
  });
  const { port, close } = await listenOnLoopback(server, 0);
  return { port, requests, close };
}
