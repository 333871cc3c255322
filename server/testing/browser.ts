import { CookieJar } from 'tough-cookie';

/**
 * A browser reduced to what the sign-in pages need: a cookie jar, redirects followed by hand (so a
 * test sees where it lands), and forms posted back with their hidden fields.
 */
export interface Page {
  url: string;
  status: number;
  html: string;
}

export class HttpBrowser {
  readonly jar = new CookieJar();
  readonly #origin: string;

  /** `origin`: the emulator; redirects leaving it (to an app's redirect URI) are not followed. */
  constructor(origin: string) {
    this.#origin = origin;
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) await this.jar.setCookie(c, url, { ignoreError: true });
    return res;
  }

  /** Follows redirects while they stay on the emulator; returns the page, or the URL it left for. */
  async go(url: string, init: Parameters<HttpBrowser['request']>[1] = {}): Promise<Page> {
    let res = await this.request(url, init);
    let current = url;
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 20; hops++) {
      const next = new URL(res.headers.get('location')!, current).href;
      if (!next.startsWith(this.#origin)) return { url: next, status: res.status, html: '' };
      current = next;
      res = await this.request(next);
    }
    return { url: current, status: res.status, html: await res.text() };
  }

  /** Submits the page's first form with these fields (hidden inputs such as the CSRF token are kept). */
  async submit(page: Page, fields: Record<string, string>): Promise<Page> {
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(page.html);
    if (!form) throw new Error(`no form on ${page.url} (status ${page.status}):\n${page.html.slice(0, 500)}`);
    const hidden = Object.fromEntries([...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    return this.go(new URL(form[1]!.replace(/&amp;/g, '&'), page.url).href, { form: { ...hidden, ...fields } });
  }

  /** Starts at an authorize URL, signs in if the form shows, and returns where the browser was sent. */
  async signIn(authorizeUrl: string, email: string, password: string): Promise<Page> {
    const page = await this.go(authorizeUrl);
    if (!page.html.includes('name="password"')) return page;
    return this.submit(page, { email, password });
  }
}
