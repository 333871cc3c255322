import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { E2E_ENV, fromSetup } from './env.js';

/**
 * The emulator's outbox as a test reads it: `GET /_emulator/v1/mail?to=…&top=1` answers the newest
 * message sent to an address, with the code it carries. Called from the test process with Node's
 * https and the emulator's CA (the browser is not involved).
 */
export interface Mail {
  id: string;
  kind: 'sign-up-code' | 'reset-code' | 'sign-in-code';
  to: string;
  subject: string;
  text: string;
  code?: string;
  receivedAt: string;
}

/**
 * A fresh address for one test: one emulator serves the whole run, so two tests (or two runs of a
 * test against a long-lived emulator) must never sign up the same address.
 */
export function freshEmail(label: string): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@example.com`;
}

export class Mailbox {
  readonly #url: string;
  readonly #ca: string;

  constructor(emulatorUrl: string, caFile = fromSetup(E2E_ENV.ca)) {
    this.#url = emulatorUrl;
    this.#ca = readFileSync(caFile, 'utf8');
  }

  /** The newest message sent to `to`, or undefined when there is none. */
  async latest(to: string): Promise<Mail | undefined> {
    const { value } = await this.#getJson<{ value: Mail[] }>(`/_emulator/v1/mail?${new URLSearchParams({ to, top: '1' })}`);
    return value[0];
  }

  /**
   * Waits for a message to `to` newer than `after` (a message already seen, e.g. the code a resend
   * replaced) and returns it. The emulator stores the message before the flow shows its next page,
   * so this normally answers on the first try; the wait only absorbs scheduling noise.
   */
  async waitForMail(to: string, { after, kind, timeoutMs = 5_000 }: { after?: Mail; kind?: Mail['kind']; timeoutMs?: number } = {}): Promise<Mail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mail = await this.latest(to);
      if (mail && mail.id !== after?.id && (!kind || mail.kind === kind)) return mail;
      if (Date.now() > deadline) {
        throw new Error(`no new ${kind ?? ''} mail to ${to} within ${timeoutMs} ms (newest: ${mail ? `${mail.kind} "${mail.subject}" ${mail.id}` : 'none'})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The code of the newest message to `to` (newer than `after`): the one the page asks for. */
  async waitForCode(to: string, options: { after?: Mail; kind?: Mail['kind'] } = {}): Promise<{ code: string; mail: Mail }> {
    const mail = await this.waitForMail(to, options);
    if (!mail.code) throw new Error(`the newest mail to ${to} ("${mail.subject}") carries no code`);
    return { code: mail.code, mail };
  }

  #getJson<T>(path: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = get(`${this.#url}${path}`, { ca: this.#ca, timeout: 5_000, headers: { accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`GET ${path} answered ${res.statusCode}: ${body.slice(0, 500)}`));
          try {
            resolve(JSON.parse(body) as T);
          } catch (e) {
            reject(new Error(`GET ${path} answered something that is not JSON: ${(e as Error).message}`));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
      req.on('error', reject);
    });
  }
}
