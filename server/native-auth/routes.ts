import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Directory, Tenant, Application } from '../directory/index.js';
import type { TenantRegistry } from '../oidc/registry.js';
import type { createUserFlows } from '../flows/index.js';
import type { FlowInput } from '../directory/user-flows.js';
import { AadError } from '../errors.js';
import { CODE_LENGTH } from '../flows/codes.js';
import { validateAttributes } from '../flows/attribute-values.js';
import { AttributeValidationError } from '../flows/sign-up/service.js';
import { existingUser, flowFor, normalizeEmail } from '../flows/flow-deps.js';
import type { ContinuationStore, Continuation } from './continuations.js';
import type { MfaMethodRepository } from './mfa-methods.js';
import { REDIRECT, callerOf, capabilitiesOf, challengeTypes, formOf, maskEmail, nativeError, ok, parseAttributes, type Form } from './common.js';

/**
 * The native authentication API v1 (native-auth-api.md): a JSON front end over the same user-flow
 * services as the hosted pages (sign-up, email one-time passcode, password reset, password
 * sign-in), so codes, mail, policies and attributes are the same; plus email one-time passcode MFA
 * and just-in-time registration for apps that require MFA. The token endpoint's native grants are
 * oidc-provider grant types (./grants.ts).
 */
export interface NativeRoutesDeps {
  registry: TenantRegistry;
  directory: Directory;
  flows: ReturnType<typeof createUserFlows>['services'];
  store: ContinuationStore;
  mfa: MfaMethodRepository;
}

type Ctx = { req: FastifyRequest; reply: FastifyReply; form: Form; tenant: Tenant; app: Application };

const RESEND_INTERVAL = 300;

export function nativeAuthRoutes(app: FastifyInstance, deps: NativeRoutesDeps): void {
  const { registry, directory, flows, store, mfa } = deps;

  const route = (path: string, handler: (c: Ctx) => Promise<unknown>) => {
    app.post(`/:tenant${path}`, async function nativeEndpoint(req, reply) {
      const form = formOf(req);
      try {
        const { tenant, app: client } = callerOf(registry, directory, (req.params as { tenant: string }).tenant, form);
        // The continuation token is taken before the step awaits anything: single use under concurrency.
        return await store.atomically(() => handler({ req, reply, form, tenant, app: client }));
      } catch (e) {
        throw nativeError(e);
      }
    });
  };
  const issue = (c: Ctx, from: Pick<Continuation, 'flow' | 'email' | 'userId' | 'txId' | 'data'>, step: string) =>
    store.issue({ tenantId: c.tenant.id, clientId: c.app.appId, flow: from.flow, step, email: from.email, userId: from.userId, txId: from.txId, data: from.data });
  const oobResponse = (token: string, email: string, interval: boolean) => ({
    continuation_token: token, challenge_type: 'oob', binding_method: 'prompt', challenge_channel: 'email',
    challenge_target_label: maskEmail(email), code_length: CODE_LENGTH, ...(interval ? { interval: RESEND_INTERVAL } : {}),
  });
  /** The email-code transaction of a resend (the continuation is at `resendStep`), or a new one. */
  const codeTransaction = (c: Ctx, cont: Continuation, resendStep: string, email: string) =>
    (cont.step === resendStep && cont.txId ? flows.emailCode.transaction(c.tenant, cont.txId) : flows.emailCode.start(c.tenant, c.app.appId, email));
  /** The list sent to a challenge endpoint, or the one sent at start. */
  const typesAt = (c: Ctx, cont: Continuation) => (c.form.challenge_type ? challengeTypes(c.form.challenge_type) : cont.data.challengeTypes ?? ['redirect']);

  // ---- sign-up ------------------------------------------------------------------------------------

  route('/signup/v1.0/start', async (c) => {
    const types = challengeTypes(c.form.challenge_type);
    const { method } = flows.signUp.flowOf(c.tenant, c.app.appId);
    const needs = method === 'password' ? ['oob', 'password'] : ['oob'];
    if (!needs.every((t) => types.includes(t))) return ok(c.req, c.reply, REDIRECT());
    const tx = await flows.signUp.start(c.tenant, c.app.appId, c.form.username ?? '', { password: c.form.password, attributes: parseAttributes(c.form.attributes) });
    const token = issue(c, { flow: 'signUp', email: tx.email, userId: null, txId: tx.id, data: { challengeTypes: types } }, 'challenge');
    return ok(c.req, c.reply, { continuation_token: token });
  });

  route('/signup/v1.0/challenge', async (c) => {
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'signUp', ['challenge', 'verifyCode', 'password']);
    const types = typesAt(c, cont);
    if (cont.step === 'password') {
      if (!types.includes('password')) return ok(c.req, c.reply, REDIRECT());
      store.spend(c.tenant.id, cont.token);
      return ok(c.req, c.reply, { challenge_type: 'password', continuation_token: issue(c, cont, 'setPassword') });
    }
    if (!types.includes('oob')) return ok(c.req, c.reply, REDIRECT());
    const tx = await flows.signUp.sendCode(c.tenant, flows.signUp.transaction(c.tenant, cont.txId!));
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, oobResponse(issue(c, cont, 'verifyCode'), tx.email, true));
  });

  route('/signup/v1.0/continue', async (c) => {
    const grant = c.form.grant_type;
    const steps = grant === 'oob' ? ['verifyCode'] : grant === 'password' ? ['password', 'setPassword'] : grant === 'attributes' ? ['attributes'] : undefined;
    if (!steps) throw new AadError(70003, { grantType: grant ?? '' });
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'signUp', steps);
    const txId = cont.txId!;
    let tx;
    if (grant === 'oob') {
      tx = flows.signUp.verifyCode(c.tenant, txId, c.form.oob ?? '');
    } else if (grant === 'password') {
      tx = await flows.signUp.setPassword(c.tenant, txId, c.form.password ?? '');
    } else {
      const current = flows.signUp.transaction(c.tenant, txId);
      // Values sent with an earlier attributes_required answer ride on the continuation token.
      const submitted = { ...cont.data.attributes, ...parseAttributes(c.form.attributes) };
      const { missing, inputs } = flows.signUp.next(c.tenant, current);
      const { problems } = validateAttributes(inputs, directory.attributes.definitions(c.tenant.id), submitted, { requireAll: false });
      if (problems.length) throw new AttributeValidationError(problems);
      const stillMissing = missing.filter((i) => submitted[i.attribute] === undefined || submitted[i.attribute] === '');
      if (stillMissing.length) {
        store.spend(c.tenant.id, cont.token);
        throw attributesRequired(issue(c, { ...cont, data: { ...cont.data, attributes: submitted } }, 'attributes'), stillMissing);
      }
      // The flow service validates every input; what was collected earlier is submitted again with it.
      const earlier = Object.fromEntries(Object.entries(current.attributes).map(([k, v]) => [k, String(v)]));
      tx = flows.signUp.setAttributes(c.tenant, txId, { ...earlier, ...submitted });
    }
    const next = flows.signUp.next(c.tenant, tx);
    store.spend(c.tenant.id, cont.token);
    if (next.step === 'password') throw new AadError(55103, {}, { extra: { continuation_token: issue(c, cont, 'password') } });
    if (next.step === 'attributes') throw attributesRequired(issue(c, cont, 'attributes'), next.missing);
    const user = flows.signUp.complete(c.tenant, txId);
    return ok(c.req, c.reply, { continuation_token: issue(c, { ...cont, userId: user.id, txId: null }, 'signedIn') });
  });

  // ---- sign-in ------------------------------------------------------------------------------------

  route('/oauth2/v2.0/initiate', async (c) => {
    const types = challengeTypes(c.form.challenge_type);
    const email = normalizeEmail(c.form.username ?? '');
    const user = existingUser(directory, c.tenant, email);
    const method = flowFor(directory, c.tenant, c.app.appId).method === 'password' && user.passwordHash ? 'password' : 'oob';
    if (!types.includes(method)) return ok(c.req, c.reply, REDIRECT());
    const token = issue(c, { flow: 'signIn', email, userId: user.id, txId: null, data: { challengeTypes: types, method, capabilities: capabilitiesOf(c.form) } }, 'challenge');
    return ok(c.req, c.reply, { continuation_token: token });
  });

  route('/oauth2/v2.0/challenge', async (c) => {
    if (c.form.id !== undefined) return mfaChallenge(c);
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'signIn', ['challenge', 'verifyCode']);
    const types = typesAt(c, cont);
    if (cont.data.method === 'password') {
      if (!types.includes('password')) return ok(c.req, c.reply, REDIRECT());
      store.spend(c.tenant.id, cont.token);
      return ok(c.req, c.reply, { challenge_type: 'password', continuation_token: issue(c, cont, 'password') });
    }
    if (!types.includes('oob')) return ok(c.req, c.reply, REDIRECT());
    // A resend reuses the transaction: the new code makes the previous one useless, and the wrong
    // attempts already made stay counted.
    const tx = await flows.emailCode.sendCode(c.tenant, codeTransaction(c, cont, 'verifyCode', cont.email));
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, oobResponse(issue(c, { ...cont, txId: tx.id }, 'verifyCode'), tx.email, false));
  });

  // ---- MFA (email one-time passcode) and just-in-time registration ------------------------------

  route('/oauth2/v2.0/introspect', async (c) => {
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'signIn', ['mfaIntrospect', 'mfaChallenge', 'mfaVerify']);
    const method = mfa.find(c.tenant.id, cont.userId!);
    if (!method) throw new AadError(55200);
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, {
      continuation_token: issue(c, cont, 'mfaChallenge'),
      methods: [{ id: method.id, challenge_type: 'oob', challenge_channel: 'email', login_hint: maskEmail(method.email) }],
    });
  });

  /** `/oauth2/v2.0/challenge` with a method `id` from introspect: emails the MFA code (a resend sends another). */
  async function mfaChallenge(c: Ctx) {
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'signIn', ['mfaChallenge', 'mfaVerify']);
    const method = mfa.find(c.tenant.id, cont.userId!);
    if (!method || method.id !== c.form.id) throw new AadError(55200);
    if (!typesAt(c, cont).includes('oob')) return ok(c.req, c.reply, REDIRECT());
    const tx = await flows.emailCode.sendCode(c.tenant, codeTransaction(c, cont, 'mfaVerify', method.email));
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, oobResponse(issue(c, { ...cont, txId: tx.id }, 'mfaVerify'), method.email, false));
  }

  route('/register/v1.0/introspect', async (c) => {
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'signIn', ['registerIntrospect', 'registerChallenge']);
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, {
      continuation_token: issue(c, cont, 'registerChallenge'),
      methods: [{ id: 'email', challenge_type: 'oob', challenge_channel: 'email', login_hint: maskEmail(cont.email) }],
    });
  });

  route('/register/v1.0/challenge', async (c) => {
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'signIn', ['registerChallenge', 'registerPreverified']);
    if (c.form.challenge_channel && c.form.challenge_channel !== 'email') throw new AadError(901001);
    let target: string;
    try {
      target = normalizeEmail(c.form.challenge_target ?? '');
    } catch {
      throw new AadError(901001);
    }
    // The customer's own sign-in address was verified at sign-up: Entra answers `preverified`.
    if (target !== cont.email) {
      throw new AadError(9990001, { feature: 'registering an email address other than the sign-in address as a strong authentication method' });
    }
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, { continuation_token: issue(c, cont, 'registerPreverified'), challenge_type: 'preverified' });
  });

  route('/register/v1.0/continue', async (c) => {
    if (c.form.grant_type !== 'continuation_token') throw new AadError(70003, { grantType: c.form.grant_type ?? '' });
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'signIn', ['registerPreverified']);
    mfa.register(c.tenant.id, cont.userId!, cont.email);
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, { continuation_token: issue(c, cont, 'signedIn') });
  });

  // ---- self-service password reset ----------------------------------------------------------------

  route('/resetpassword/v1.0/start', async (c) => {
    const types = challengeTypes(c.form.challenge_type);
    const tx = flows.passwordReset.start(c.tenant, c.app.appId, c.form.username ?? '');
    if (!types.includes('oob')) return ok(c.req, c.reply, REDIRECT());
    const token = issue(c, { flow: 'passwordReset', email: tx.email, userId: tx.userId, txId: tx.id, data: { challengeTypes: types } }, 'challenge');
    return ok(c.req, c.reply, { continuation_token: token });
  });

  route('/resetpassword/v1.0/challenge', async (c) => {
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'passwordReset', ['challenge', 'verifyCode']);
    if (!typesAt(c, cont).includes('oob')) return ok(c.req, c.reply, REDIRECT());
    const tx = await flows.passwordReset.sendCode(c.tenant, flows.passwordReset.transaction(c.tenant, cont.txId!));
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, oobResponse(issue(c, cont, 'verifyCode'), tx.email, false));
  });

  route('/resetpassword/v1.0/continue', async (c) => {
    if (c.form.grant_type !== 'oob') throw new AadError(70003, { grantType: c.form.grant_type ?? '' });
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'passwordReset', ['verifyCode']);
    flows.passwordReset.verifyCode(c.tenant, cont.txId!, c.form.oob ?? '');
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, { continuation_token: issue(c, cont, 'submit'), expires_in: 600 });
  });

  route('/resetpassword/v1.0/submit', async (c) => {
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'passwordReset', ['submit']);
    const user = await flows.passwordReset.resetPassword(c.tenant, cont.txId!, c.form.new_password ?? '');
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, { continuation_token: issue(c, { ...cont, userId: user.id, txId: null }, 'poll'), poll_interval: 2 });
  });

  route('/resetpassword/v1.0/poll_completion', async (c) => {
    const cont = store.use(c.tenant.id, c.app.appId, c.form.continuation_token, 'passwordReset', ['poll']);
    // The password was set at submit: the reset has always succeeded by now (never not_started).
    store.spend(c.tenant.id, cont.token);
    return ok(c.req, c.reply, { status: 'succeeded', continuation_token: issue(c, cont, 'signedIn'), expires_in: 600 });
  });
}

function attributesRequired(token: string, missing: FlowInput[]): AadError {
  return new AadError(55106, {}, {
    extra: {
      continuation_token: token,
      required_attributes: missing.map((i) => ({
        name: i.attribute,
        type: i.inputType === 'boolean' ? 'boolean' : 'string',
        required: true,
        ...(i.validationRegEx ? { options: { regex: i.validationRegEx } } : {}),
      })),
    },
  });
}
