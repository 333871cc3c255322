import type { Page } from '@playwright/test';
import type { WebAppServer } from '../support/web-app-server.js';

/** The Contoso Web App of the default fixtures, as registered. */
export const WEB_APP = {
  clientId: '33333333-3333-4333-8333-333333333333',
  origin: 'http://localhost:3001',
  redirectUri: 'http://localhost:3001/auth/redirect',
} as const;

/**
 * The app's side of a test (no sample app exists yet): its redirect URI is answered by a tiny page
 * (support/web-app-server.ts), so a test sees where the emulator sent the browser and reads the
 * authorization response from the URL.
 */
export class WebAppStub {
  readonly #server: WebAppServer;
  readonly #since: number;

  constructor(readonly page: Page, server: WebAppServer) {
    this.#server = server;
    this.#since = server.requests.length;
  }

  /** the app URLs the browser requested since this stub was made (one test) */
  get requests(): string[] {
    return this.#server.requests.slice(this.#since).map((path) => `${WEB_APP.origin}${path}`);
  }

  /**
   * Waits until the browser is on the redirect URI and returns the authorization response: the
   * query and the fragment parameters together (response_mode query or fragment).
   */
  async waitForRedirect(): Promise<URLSearchParams> {
    await this.page.waitForURL((url) => url.href.startsWith(WEB_APP.redirectUri));
    const url = new URL(this.page.url());
    const params = new URLSearchParams(url.search);
    for (const [k, v] of new URLSearchParams(url.hash.replace(/^#/, ''))) params.append(k, v);
    return params;
  }
}
