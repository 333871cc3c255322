import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { banner } from './banner.js';
import { startTestEmulator, type TestEmulator } from './testing/harness.js';

// Issue 10 item 11: with an admin token (Docker) the banner gives the browser its way in.
describe('the start banner', () => {
  let open: TestEmulator;
  let locked: TestEmulator;
  beforeAll(async () => {
    open = await startTestEmulator();
    locked = await startTestEmulator({ args: ['--admin-token', 'banner-token'] });
  });
  afterAll(async () => {
    await open.close();
    await locked.close();
  });

  it('prints a one-time mailbox link when an admin token is set, and none without one', async () => {
    const text = banner(locked);
    expect(text).toContain(`Mailbox: ${locked.url}/_emulator/mail`);
    const link = new RegExp(`${locked.url}/_emulator/v1/session\\?ticket=([\\w-]{40,})`).exec(text);
    expect(link?.[1]).toBe(locked.controlSessions.startupTicket());
    expect(text).not.toContain('banner-token');
    const plain = banner(open);
    expect(plain).toContain(`Mailbox: ${open.url}/_emulator/mail`);
    expect(plain).not.toContain('/_emulator/v1/session');
  });
});
