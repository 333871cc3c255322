import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/csrf-protection';
import { AadError } from '../../errors.js';
import {
  emailStep, faultStatus, formText, pageFault, renderStep, signedIn, stepContext, type PageDeps, type StepContext, type StepRoute,
} from '../step-page.js';
import type { FlowTransaction } from '../transactions.js';
import { codeStepRoutes, stepUrl } from '../code-step.js';
import { passwordStepRoutes } from '../password-step.js';
import type { PasswordResetService } from './service.js';

/** The hosted "Forgot password?" pages: email → emailed code → new password → signed in. */
export function passwordResetRoutes(app: FastifyInstance, deps: PageDeps & { passwordReset: PasswordResetService }): void {
  const { passwordReset } = deps;
  const post = { preHandler: app.csrfProtection };
  const url = (ctx: StepContext, step: string, tx?: FlowTransaction) => stepUrl(ctx, 'password-reset', step, tx);

  const emailPage = (reply: FastifyReply, ctx: StepContext, email = '', error?: AadError) => renderStep(deps, error && reply.statusCode === 200 ? reply.code(400) : reply, ctx, emailStep(ctx, {
    title: ctx.s('PasswordReset_Title'), description: ctx.s('PasswordReset_Description'), action: url(ctx, ''), submit: ctx.s('Button_SendCode'), email,
    ...(error ? { error } : {}), links: [{ text: ctx.s('Link_SignInInstead'), href: ctx.base }],
  }));
  codeStepRoutes(app, deps, {
    flow: 'password-reset',
    transaction: (ctx, txId) => passwordReset.transaction(ctx.tenant, txId),
    sendCode: (ctx, tx) => passwordReset.sendCode(ctx.tenant, tx, ctx.locale),
    verify: async (_req, reply, ctx, tx, code) => {
      passwordReset.verifyCode(ctx.tenant, tx.id, code);
      return reply.redirect(url(ctx, 'new-password', tx), 303);
    },
  });

  passwordStepRoutes(app, deps, {
    flow: 'password-reset', step: 'new-password',
    transaction: (ctx, txId) => passwordReset.transaction(ctx.tenant, txId),
    // Sign-in sends a user whose password must change ("forceChangePasswordNextSignIn") here too.
    texts: (ctx, tx) => ({
      ...(tx.step === 'forcedChange'
        ? { title: ctx.s('PasswordChange_Title'), description: ctx.s('PasswordChange_Description') }
        : { title: ctx.s('PasswordReset_New_Title'), description: ctx.s('PasswordReset_New_Description', { email: tx.email }) }),
      submit: ctx.s('Button_ResetPassword'),
    }),
    choose: async (req, reply, ctx, tx, password) =>
      signedIn(deps, ctx, req, reply, (await passwordReset.resetPassword(ctx.tenant, tx.id, password)).id, 'passwordReset'),
  });

  app.get<StepRoute>('/:tenant/interaction/:uid/password-reset', async function showPasswordResetPage(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    return emailPage(reply, ctx, formText(req.query as StepRoute['Body'], 'email'));
  });

  app.post<StepRoute>('/:tenant/interaction/:uid/password-reset', post, async function startPasswordReset(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const email = formText(req.body, 'email');
    const fault = await pageFault(deps, 'password-reset', ctx, email);
    if (fault) return emailPage(reply.code(faultStatus(fault)), ctx, email, fault);
    try {
      const tx = await passwordReset.sendCode(ctx.tenant, passwordReset.start(ctx.tenant, ctx.clientId, email), ctx.locale);
      return reply.redirect(url(ctx, 'verify', tx), 303);
    } catch (e) {
      if (e instanceof AadError) return emailPage(reply, ctx, email, e);
      throw e;
    }
  });
}
