/**
 * The one request both servers answer: the default fixtures' daemon app asking for an app-only
 * token for the ToDo API. The bare provider registers the same ids so the two requests differ only
 * in their path.
 */
export const TENANT_ID = '11111111-1111-4111-8111-111111111111';
export const TENANT_DOMAIN = 'contoso.onmicrosoft.com';
export const CLIENT_ID = '55555555-5555-4555-8555-555555555555';
export const CLIENT_SECRET = 'daemon-app-secret';
export const RESOURCE = 'api://44444444-4444-4444-8444-444444444444';

export const TOKEN_BODY = `grant_type=client_credentials&scope=${encodeURIComponent(`${RESOURCE}/.default`)}`;
export const TOKEN_HEADERS: Record<string, string> = {
  'content-type': 'application/x-www-form-urlencoded',
  authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
};

/** Paths per server kind: the emulator speaks Entra's URLs, the bare provider its defaults. */
export const PATHS = {
  emulator: {
    token: `/${TENANT_ID}/oauth2/v2.0/token`,
    discovery: `/${TENANT_DOMAIN}/v2.0/.well-known/openid-configuration`,
  },
  bare: {
    token: '/token',
    discovery: '/.well-known/openid-configuration',
  },
} as const;

export type ServerKind = keyof typeof PATHS;
