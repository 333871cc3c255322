import { describe, expect, it } from 'vitest';
import { DEFAULT } from '../testing/harness.js';
import { expectGraphError, graphTestKit, raw } from './graph-test-kit.js';

// The router decodes the path before matching, so a percent-encoded version prefix reaches the
// /v1.0 handlers: it must be authenticated as /v1.0 is (it used to skip authentication and 500).
// A first segment that is no API version answers graph.microsoft.com's 400 "Invalid version.".
const kit = graphTestKit();

describe('the Graph version segment', () => {
  it.each(['/%761.0/users', '/v1%2e0/users', '/v1%2E0/users', '/%76%31%2e%30/users'])('%s without a token answers 401 InvalidAuthenticationToken, as /v1.0/users does', async (path) => {
    await expectGraphError(await raw(kit, path, { auth: null }), 401, 'InvalidAuthenticationToken');
  });

  it.each(['/%761.0/users', '/v1%2e0/users'])('%s with a valid token lists the users of /v1.0/users', async (path) => {
    const res = await raw(kit, `${path}?$filter=mail eq '${DEFAULT.alice.email}'`);
    expect(res.status).toBe(200);
    const body = await res.json() as { value: { id: string }[] };
    expect(body.value.map((u) => u.id)).toEqual([DEFAULT.alice.id]);
  });

  it.each(['/v9.0/users', '/v1.1/users/x', '/contoso/me', '/v2.0/groups/x/members'])('%s answers 400 BadRequest "Invalid version."', async (path) => {
    await expectGraphError(await raw(kit, path), 400, 'BadRequest', /^Invalid version\.$/);
  });

  it('/beta still answers 501 NotImplemented, not Invalid version', async () => {
    await expectGraphError(await raw(kit, '/beta/users'), 501, 'NotImplemented');
  });
});
