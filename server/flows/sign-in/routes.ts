import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/csrf-protection';
import Type, { type Static } from 'typebox';
import type { Tenant } from '../../directory/index.js';
import { AadError } from '../../errors.js';
import type { Views } from '../../http/views.js';
import type { TenantRegistry } from '../../oidc/registry.js';
import { decodeLoginHint } from '../../oidc/claims.js';
import { finishInteraction, grantConsent, loadInteraction, type Interaction } from '../interaction.js';
import { fieldFor, pageMessage } from './messages.js';
import type { SignInService } from './service.js';

export interface SignInRouteDeps {
  registry: TenantRegistry;
  views: Views;
  signIn: SignInService;
}

const Params = Type.Object({ tenant: Type.String({ maxLength: 256 }), uid: Type.String({ pattern: '^[\\w-]{1,64}$' }) });
const SignInForm = Type.Object({
  email: Type.String({ maxLength: 256 }),
  password: Type.String({ maxLength: 256 }),
  _csrf: Type.String({ maxLength: 512 }),
});
type ParamsT = Static<typeof Params>;

/**
 * The hosted sign-in page (Entra External ID's "Sign in" screen): email and password on one form,
 * no JavaScript, CSRF-protected. Named after what it does in Entra: show the sign-in page, then
 * validate the credentials.
 */
export function signInRoutes(app: FastifyInstance, { registry, views, signIn }: SignInRouteDeps): void {
  app.get<{ Params: ParamsT }>('/:tenant/interaction/:uid', { schema: { params: Params } }, async function showSignInPage(req, reply) {
    const { oidc, interaction } = await loadInteraction(registry, req, reply);
    if (interaction.prompt.name === 'consent') {
      return finishInteraction(oidc, req, reply, await grantConsent(oidc, interaction));
    }
    return renderSignIn(reply, oidc.tenant, interaction, { email: prefilledEmail(interaction) });
  });

  app.post<{ Params: ParamsT; Body: Static<typeof SignInForm> }>('/:tenant/interaction/:uid/login', {
    schema: { params: Params, body: SignInForm },
    attachValidation: true,
    preHandler: app.csrfProtection,
  }, async function validateCredentials(req, reply) {
    const { oidc, interaction } = await loadInteraction(registry, req, reply);
    const email = typeof req.body?.email === 'string' ? req.body.email.trim() : '';
    if (req.validationError || !/^[^\s@]+@[^\s@]+$/.test(email)) {
      reply.code(400);
      return renderSignIn(reply, oidc.tenant, interaction, { email, error: { message: 'Enter a valid email address.' }, focus: 'email' });
    }
    try {
      const user = await signIn.signInWithPassword(oidc.tenant, email, req.body.password);
      return await finishInteraction(oidc, req, reply, {
        login: { accountId: user.id, remember: false },
        // Satisfy the prompts Entra treats as plain sign-in, or the resume would ask again.
        select_account: {},
        create: {},
      } as never);
    } catch (e) {
      if (!(e instanceof AadError)) throw e;
      reply.code(400);
      return renderSignIn(reply, oidc.tenant, interaction, { email, error: { message: pageMessage(e), code: e.code }, focus: fieldFor(e) });
    }
  });

  // "Forgot password?" and "Create one" lead to the self-service flows, which are not emulated yet:
  // they say so instead of pretending.
  for (const [path, feature] of [['password-reset', 'self-service password reset'], ['sign-up', 'self-service sign-up']] as const) {
    app.get<{ Params: ParamsT }>(`/:tenant/interaction/:uid/${path}`, { schema: { params: Params } }, async (req, reply) => {
      await loadInteraction(registry, req, reply);
      throw new AadError(9990001, { feature });
    });
  }

  function renderSignIn(reply: FastifyReply, tenant: Tenant, interaction: Interaction,
    model: { email: string; error?: { message: string; code?: number }; focus?: 'email' | 'password' }) {
    const base = `/${tenant.id}/interaction/${interaction.uid}`;
    return reply.type('text/html; charset=utf-8').send(views.render('./sign-in', {
      title: 'Sign in',
      tenant,
      action: `${base}/login`,
      forgotPasswordUrl: `${base}/password-reset`,
      signUpUrl: `${base}/sign-up`,
      csrf: reply.generateCsrf(),
      email: model.email,
      error: model.error,
      focus: model.focus,
    }));
  }
}

/** `login_hint` prefills the email; MSAL may send back the opaque `login_hint` claim we issued. */
function prefilledEmail(interaction: Interaction): string {
  const hint = interaction.params.login_hint;
  if (typeof hint !== 'string' || !hint) return '';
  return decodeLoginHint(hint)?.upn ?? hint;
}
