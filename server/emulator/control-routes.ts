import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { ClockRangeError, TravellingClock, parseDuration, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import { FixtureError, parseFixtureSet } from '../fixtures/load.js';
import { integerParameter } from '../http/query.js';
import type { TenantRegistry } from '../oidc/registry.js';
import { KeyRotationError } from '../oidc/keys.js';
import { FAULT_ENDPOINTS, FaultError, type FaultRegistry } from './faults.js';
import { LOGIN_AS_COOKIE, type LoginTickets } from './login-as.js';
import type { SignInLog } from './sign-in-log.js';
import type { ThrottleRegistry } from '../http/throttle.js';
import { TenantStateError, createTenant, exportSnapshot, importSnapshot, resetTenant, type TenantStateDeps } from './tenant-state.js';

/**
 * The control plane test suites use (`/_emulator/v1/…`): reset, snapshots, more tenants, time
 * travel, faults, login-as and sign-in events. Only trusted callers reach it (server/http/trusted-caller.ts).
 */
export interface ControlDeps extends TenantStateDeps {
  config: Config;
  clock: Clock;
  faults: FaultRegistry;
  tickets: LoginTickets;
  signIns: SignInLog;
  throttles: ThrottleRegistry;
}

const TenantParams = Type.Object({ tenant: Type.String({ maxLength: 256 }) });
// Private keys and plaintext fixture secrets only when asked for (server/emulator/snapshot-secrets.ts).
const SnapshotQuery = Type.Object({ includeSecrets: Type.Optional(Type.Boolean({ description: 'include private signing keys, cookie keys and plaintext fixture secrets' })) });
const ClockBody = Type.Object({
  advance: Type.Optional(Type.String({ maxLength: 40, description: 'an ISO 8601 duration (PT11M) or milliseconds as a string' })),
  set: Type.Optional(Type.String({ format: 'date-time' })),
  reset: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
const FaultBody = Type.Object({
  endpoint: Type.Union(FAULT_ENDPOINTS.map((e) => Type.Literal(e))),
  tenant: Type.Optional(Type.String({ maxLength: 256 })),
  clientId: Type.Optional(Type.String({ maxLength: 64 })),
  user: Type.Optional(Type.String({ maxLength: 256 })),
  aadsts: Type.Optional(Type.Integer({ minimum: 1 })),
  status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599 })),
  latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
}, { additionalProperties: false });
const LoginAsBody = Type.Object({
  userId: Type.Optional(Type.String({ maxLength: 64 })),
  email: Type.Optional(Type.String({ maxLength: 256 })),
}, { additionalProperties: false });
// `next` given twice arrives as an array: the schema answers 400 "querystring/next must be string".
const LoginAsQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 16_384, description: 'the authorize URL to continue to' })) });
/** `next` as an absolute URL's href, or undefined when it is missing, not a URL, or carries control characters. */
function redirectTarget(next: string | undefined): string | undefined {
  if (!next || /[\u0000-\u001f\u007f]/.test(next) || !URL.canParse(next)) return undefined;
  return new URL(next).href;
}
// `activateAt` in the future publishes the new key without signing with it yet, so an app's
// key-refresh logic can be tested on both sides of the switch.
const RotateBody = Type.Object({
  activateAt: Type.Optional(Type.Union([Type.Literal('now'), Type.String({ format: 'date-time' })], { description: '"now" (the default) or when the new key starts signing' })),
}, { additionalProperties: false });
const TOP = { fallback: 50, minimum: 1, maximum: 1000 };
const Top = Type.Object({ top: Type.Optional(Type.Integer({ minimum: TOP.minimum, maximum: TOP.maximum })) });

export function controlRoutes(app: FastifyInstance, deps: ControlDeps): void {
  const { config, registry, faults, tickets, signIns, throttles } = deps;

  // Who may call: server/http/trusted-caller.ts, a hook on the whole control-plane scope (server/app.ts).

  const tenantOf = (alias: string) => {
    const oidc = registry.resolve(alias);
    if (!oidc) throw new TenantStateError(404, `no tenant answers to '${alias}'`);
    return oidc.tenant;
  };

  app.post<{ Params: Static<typeof TenantParams> }>('/_emulator/v1/tenants/:tenant/reset', { schema: { params: TenantParams } }, async function resetTenantToFixtures(req) {
    const tenant = tenantOf(req.params.tenant);
    const started = performance.now();
    await resetTenant(deps, tenant.id);
    tickets.clear();
    throttles.clear();
    return { tenantId: tenant.id, resetInMs: Math.round((performance.now() - started) * 10) / 10 };
  });

  app.get<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof SnapshotQuery> }>('/_emulator/v1/tenants/:tenant/snapshot',
    { schema: { params: TenantParams, querystring: SnapshotQuery } }, async function getSnapshot(req) {
      return exportSnapshot(deps, tenantOf(req.params.tenant).id, { includeSecrets: req.query.includeSecrets === true });
  });

  app.put<{ Params: Static<typeof TenantParams> }>('/_emulator/v1/tenants/:tenant/snapshot', { schema: { params: TenantParams }, bodyLimit: 50 * 1024 * 1024 }, async function putSnapshot(req) {
    const tenant = tenantOf(req.params.tenant);
    return { tenantId: tenant.id, rows: await importSnapshot(deps, tenant.id, req.body) };
  });

  app.post('/_emulator/v1/tenants', { bodyLimit: 10 * 1024 * 1024 }, async function createTenantFromFixtures(req, reply) {
    let set;
    try {
      set = parseFixtureSet(req.body, 'the request body');
    } catch (e) {
      if (e instanceof FixtureError) throw new TenantStateError(400, e.message);
      throw e;
    }
    const tenantId = await createTenant(deps, set);
    const oidc = registry.resolve(tenantId)!;
    return reply.code(201).send({ id: tenantId, issuer: oidc.issuer, authority: `${config.publicUrl}/${oidc.tenant.defaultDomain}` });
  });

  app.get('/_emulator/v1/clock', async function getClock() {
    const clock = deps.clock;
    return { now: clock.now().toISOString(), offsetMs: clock instanceof TravellingClock ? clock.offsetMs : 0, adjustable: clock instanceof TravellingClock };
  });

  app.post<{ Body: Static<typeof ClockBody> }>('/_emulator/v1/clock', { schema: { body: ClockBody } }, async function moveClock(req, reply) {
    const clock = deps.clock;
    if (!(clock instanceof TravellingClock)) return reply.code(409).send({ error: { code: 'Conflict', message: 'this emulator was built with a fixed clock' } });
    const b = req.body;
    if ([b.advance, b.set, b.reset].filter((v) => v !== undefined).length !== 1) {
      return reply.code(400).send({ error: { code: 'BadRequest', message: 'give exactly one of advance (PT11M), set (an ISO date-time) or reset (true)' } });
    }
    try {
      if (b.advance !== undefined) {
        const ms = /^\d+$/.test(b.advance) ? Number(b.advance) : parseDuration(b.advance);
        if (ms === undefined) return reply.code(400).send({ error: { code: 'BadRequest', message: `'${b.advance}' is not an ISO 8601 duration such as PT11M or P1DT2H` } });
        clock.advance(ms);
      } else if (b.set !== undefined) clock.set(new Date(b.set));
      else if (b.reset) clock.reset();
    } catch (e) {
      // A move past year 9999 (or before 1970) is refused and leaves the clock where it was.
      if (e instanceof ClockRangeError) return reply.code(400).send({ error: { code: 'BadRequest', message: e.message } });
      throw e;
    }
    return { now: clock.now().toISOString(), offsetMs: clock.offsetMs, adjustable: true };
  });

  app.get('/_emulator/v1/faults', async function listFaults() {
    return { value: faults.list() };
  });

  app.post<{ Body: Static<typeof FaultBody> }>('/_emulator/v1/faults', { schema: { body: FaultBody } }, async function addFault(req, reply) {
    try {
      return reply.code(201).send(faults.add(req.body as never));
    } catch (e) {
      if (e instanceof FaultError) return reply.code(400).send({ error: { code: 'BadRequest', message: e.message } });
      throw e;
    }
  });

  app.delete('/_emulator/v1/faults', async function clearFaults(_req, reply) {
    faults.clear();
    return reply.code(204).send();
  });

  app.post<{ Params: Static<typeof TenantParams>; Body: Static<typeof LoginAsBody> }>('/_emulator/v1/tenants/:tenant/login-as',
    { schema: { params: TenantParams, body: LoginAsBody } }, async function loginAs(req, reply) {
      const tenant = tenantOf(req.params.tenant);
      const { userId, email } = req.body;
      if ((userId === undefined) === (email === undefined)) return reply.code(400).send({ error: { code: 'BadRequest', message: 'give userId or email' } });
      const user = userId ? deps.directory.users.findById(tenant.id, userId) : deps.directory.users.findBySignInName(tenant.id, email!);
      if (!user) return reply.code(404).send({ error: { code: 'NotFound', message: `no user ${userId ?? email} in tenant ${tenant.defaultDomain}` } });
      const { ticket, expiresAt } = tickets.issue(tenant.id, user.id);
      return {
        userId: user.id,
        expiresAt: expiresAt.toISOString(),
        // Either set this cookie on the emulator's origin, or send the browser to `url` with
        // ?next=<the app's authorize URL>: the next /authorize of the tenant then signs this user in.
        cookie: { name: LOGIN_AS_COOKIE, value: ticket, path: '/', domain: new URL(config.publicUrl).hostname },
        url: `${config.publicUrl}/_emulator/v1/login-as/${ticket}`,
      };
    });

  app.get<{ Params: { ticket: string }; Querystring: Static<typeof LoginAsQuery> }>('/_emulator/v1/login-as/:ticket',
    { schema: { querystring: LoginAsQuery } }, async function startLoginAs(req, reply) {
      if (!/^[\w-]{16,64}$/.test(req.params.ticket)) return reply.code(400).send({ error: { code: 'BadRequest', message: 'not a login-as ticket' } });
      // Redirect to the URL's own serialisation (ASCII, percent-encoded): a raw control character or
      // non-Latin-1 text in `next` cannot go into a Location header (it used to answer 500).
      const next = redirectTarget(req.query.next);
      if (!next?.startsWith(`${config.publicUrl}/`)) return reply.code(400).send({ error: { code: 'BadRequest', message: `next must be an authorize URL of this emulator (${config.publicUrl}/…)` } });
      const secure = config.publicUrl.startsWith('https:');
      reply.header('set-cookie', `${LOGIN_AS_COOKIE}=${req.params.ticket}; Path=/; HttpOnly; ${secure ? 'Secure; SameSite=None' : 'SameSite=Lax'}`);
      return reply.redirect(next, 302);
    });

  app.post<{ Params: Static<typeof TenantParams>; Body: Static<typeof RotateBody> }>('/_emulator/v1/tenants/:tenant/keys/rotate',
    {
      schema: { params: TenantParams, body: RotateBody },
      // No body at all means the defaults, as `{}` does.
      preValidation: async (req) => { req.body ??= {}; },
    }, async function rotateSigningKeys(req, reply) {
      const tenant = tenantOf(req.params.tenant);
      const at = req.body.activateAt;
      try {
        const r = await registry.rotateKeys(tenant.id, at && at !== 'now' ? { activateAt: new Date(at) } : {});
        return {
          tenantId: tenant.id,
          kid: r.kid,
          previousKid: r.previousKid,
          activatesAt: r.activatesAt.toISOString(),
          previousKeyPublishedUntil: r.previousKeyPublishedUntil.toISOString(),
          signingKid: r.signing,
          publishedKids: r.published,
          jwksUri: `${config.publicUrl}/${tenant.id}/discovery/v2.0/keys`,
        };
      } catch (e) {
        if (e instanceof KeyRotationError) return reply.code(400).send({ error: { code: 'BadRequest', message: e.message } });
        throw e;
      }
    });

  app.get<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof Top> }>('/_emulator/v1/tenants/:tenant/sign-ins',
    { schema: { params: TenantParams, querystring: Top } }, async function listSignIns(req) {
      return { value: signIns.list(tenantOf(req.params.tenant).id, integerParameter(req.query.top, 'top', TOP)) };
    });
}
