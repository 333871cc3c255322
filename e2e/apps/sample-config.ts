import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the sample apps need to know about the emulator and each other. Each value can be set
 * through the environment, so the apps run against `npm start` as they are and against a test
 * emulator on another port.
 */
export interface SampleConfig {
  /** base URL of the emulator */
  emulatorUrl: string;
  /** the authority MSAL is configured with: the only line that differs from a real tenant */
  authority: string;
  /** MSAL's knownAuthorities entry (host:port of the emulator) */
  knownAuthority: string;
  /** where the protected API listens, as browsers and the web app reach it */
  apiUrl: string;
}

export function sampleConfig(env: NodeJS.ProcessEnv = process.env): SampleConfig {
  const emulatorUrl = (env.EMULATOR_URL ?? 'https://localhost:7443').replace(/\/$/, '');
  return {
    emulatorUrl,
    authority: `${emulatorUrl}/${env.TENANT ?? 'contoso.onmicrosoft.com'}`,
    knownAuthority: new URL(emulatorUrl).host,
    apiUrl: (env.API_URL ?? 'http://localhost:3002').replace(/\/$/, ''),
  };
}

/** The registrations of the default fixtures (fixtures/default/applications.json). */
export const APPS = {
  spa: { clientId: '22222222-2222-4222-8222-222222222222', origin: 'http://localhost:3000' },
  /** the second SPA registration, linked to the email one-time passcode user flow (same redirect URIs) */
  otp: { clientId: '77777777-7777-4777-8777-777777777777' },
  web: { clientId: '33333333-3333-4333-8333-333333333333', secret: 'web-app-secret', origin: 'http://localhost:3001', redirectUri: 'http://localhost:3001/auth/redirect' },
  api: { clientId: '44444444-4444-4444-8444-444444444444', scope: 'api://44444444-4444-4444-8444-444444444444/ToDoList.Read' },
  tenantId: '11111111-1111-4111-8111-111111111111',
} as const;

/** Runs `start` when the file is executed directly (`tsx e2e/apps/spa/server.ts`), not when imported. */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && new URL(metaUrl).pathname === new URL(`file://${process.argv[1]}`).pathname;
}

/** A sample app listening on loopback; `close` drops open keep-alive connections so tests end promptly. */
export interface RunningApp {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (port 0 picks a free one) and answers once the port is bound, or fails with the bind error. */
export async function listenOnLoopback(server: Server, port: number): Promise<RunningApp> {
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
