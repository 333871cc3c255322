import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/csrf-protection';
import { AadError } from '../../errors.js';
import { decodeLoginHint } from '../../oidc/claims.js';
import { finishInteraction, grantConsent, type Interaction } from '../interaction.js';
import { emailCodeSignInStep } from '../email-code/routes.js';
import { faultStatus, formText, pageFault, renderStep, signedIn, signInFailed, stepContext, type PageDeps, type StepContext, type StepRoute } from '../step-page.js';
import { LOGIN_AS_COOKIE } from '../../emulator/login-as.js';
import { fieldFor, pageMessage } from './messages.js';
import type { SignInService } from './service.js';
import type { PasswordResetService } from '../password-reset/service.js';

/**
 * The hosted sign-in page (Entra External ID's "Sign in" screen). Email + password flows show both
 * fields on one form; email one-time passcode flows ask for the email and send a code. No JavaScript,
 * CSRF-protected. `prompt=create` goes straight to sign-up, as in Entra.
 */
export function signInRoutes(app: FastifyInstance, deps: PageDeps & { signIn: SignInService; passwordReset: PasswordResetService }): void {
  const { views, signIn } = deps;

  app.get<StepRoute>('/:tenant/interaction/:uid', async function showSignInPage(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const { interaction } = ctx;
    if (interaction.prompt.name === 'consent') return finishInteraction(ctx.oidc, req, reply, await grantConsent(ctx.oidc, interaction));
    // The control plane's login-as ticket signs its user in without the form (the code flow stays real).
    const ticketUser = deps.toolkit.tickets.consume(req.cookies[LOGIN_AS_COOKIE], ctx.tenant.id);
    if (ticketUser) {
      reply.clearCookie(LOGIN_AS_COOKIE, { path: '/' });
      return signedIn(deps, ctx, req, reply, ticketUser, 'loginAs');
    }
    const prompts = String(interaction.params.prompt ?? '').split(' ');
    if (prompts.includes('create') && ctx.flow?.isSignUpAllowed) return reply.redirect(`${ctx.base}/sign-up`, 303);
    if (ctx.method === 'emailOtp') return renderStep(deps, reply, ctx, emailCodeSignInStep(ctx, prefilledEmail(interaction)));
    return renderSignIn(reply, ctx, { email: prefilledEmail(interaction) });
  });

  app.post<StepRoute>('/:tenant/interaction/:uid/login', { preHandler: app.csrfProtection }, async function validateCredentials(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const email = formText(req.body, 'email');
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 256 || password.length > 256) {
      return renderSignIn(reply.code(400), ctx, { email: email.slice(0, 256), error: { message: ctx.s('Error_InvalidEmail') }, focus: 'email' });
    }
    try {
      const fault = await pageFault(deps, 'sign-in', ctx, email);
      if (fault) throw fault;
      const user = await signIn.signInWithPassword(ctx.tenant, email, password);
      if (user.forceChangePassword) {
        // An admin reset the password with forceChangePasswordNextSignIn: a new one first.
        const tx = deps.passwordReset.startForcedChange(ctx.tenant, ctx.clientId, user);
        return reply.redirect(`${ctx.base}/password-reset/new-password?t=${tx.id}`, 303);
      }
      return await signedIn(deps, ctx, req, reply, user.id, 'password');
    } catch (e) {
      if (!(e instanceof AadError)) throw e;
      signInFailed(deps, ctx, e, 'password', email);
      return renderSignIn(reply.code(faultStatus(e)), ctx, { email, error: { message: pageMessage(e), code: e.code }, focus: fieldFor(e) });
    }
  });

  function renderSignIn(reply: FastifyReply, ctx: StepContext, model: { email: string; error?: { message: string; code?: number }; focus?: 'email' | 'password' }) {
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(views.render('./sign-in', {
      title: ctx.s('SignIn_Title'),
      tenant: ctx.tenant,
      lang: ctx.locale,
      s: ctx.s,
      action: `${ctx.base}/login`,
      forgotPasswordUrl: `${ctx.base}/password-reset`,
      signUpUrl: ctx.flow?.isSignUpAllowed ? `${ctx.base}/sign-up` : undefined,
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
