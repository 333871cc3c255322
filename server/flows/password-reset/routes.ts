import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/csrf-protection';
import { AadError } from '../../errors.js';
import {
  assertSameApp, emailStep, faultStatus, formText, newPassword, newPasswordStep, pageError, pageFault, renderStep, signedIn, stepContext, transactionParam,
  type FieldMessage, type InteractionRequest, type PageDeps, type StepContext, type StepRoute,
} from '../step-page.js';
import type { FlowTransaction } from '../transactions.js';
import { codeStepRoutes, stepUrl } from '../code-step.js';
import type { PasswordResetService } from './service.js';

/** The hosted "Forgot password?" pages: email → emailed code → new password → signed in. */
export function passwordResetRoutes(app: FastifyInstance, deps: PageDeps & { passwordReset: PasswordResetService }): void {
  const { passwordReset } = deps;
  const post = { preHandler: app.csrfProtection };
  const url = (ctx: StepContext, step: string, tx?: FlowTransaction) => stepUrl(ctx, 'password-reset', step, tx);
  const load = (req: InteractionRequest, ctx: StepContext) => assertSameApp(passwordReset.transaction(ctx.tenant, transactionParam(req)), ctx);

  const emailPage = (reply: FastifyReply, ctx: StepContext, email = '', error?: AadError) => renderStep(deps, error && reply.statusCode === 200 ? reply.code(400) : reply, ctx, emailStep(ctx, {
    title: ctx.s('PasswordReset_Title'), description: ctx.s('PasswordReset_Description'), action: url(ctx, ''), submit: ctx.s('Button_SendCode'), email,
    ...(error ? { error } : {}), links: [{ text: ctx.s('Link_SignInInstead'), href: ctx.base }],
  }));
  const passwordPage = (reply: FastifyReply, ctx: StepContext, tx: FlowTransaction, error?: FieldMessage) =>
    renderStep(deps, reply.code(error ? 400 : 200), ctx, newPasswordStep(ctx, {
      ...(tx.step === 'forcedChange'
        ? { title: ctx.s('PasswordChange_Title'), description: ctx.s('PasswordChange_Description') }
        : { title: ctx.s('PasswordReset_New_Title'), description: ctx.s('PasswordReset_New_Description', { email: tx.email }) }),
      action: url(ctx, 'new-password', tx), submit: ctx.s('Button_ResetPassword'), ...(error ? { error } : {}),
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

  app.get<StepRoute>('/:tenant/interaction/:uid/password-reset/new-password', async function showNewPasswordPage(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    return passwordPage(reply, ctx, load(req, ctx));
  });

  app.post<StepRoute>('/:tenant/interaction/:uid/password-reset/new-password', post, async function resetPassword(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const tx = load(req, ctx);
    const chosen = newPassword(req.body, ctx.s);
    if ('mismatch' in chosen) return passwordPage(reply, ctx, tx, chosen.mismatch);
    try {
      return signedIn(deps, ctx, req, reply, (await passwordReset.resetPassword(ctx.tenant, tx.id, chosen.password)).id, 'passwordReset');
    } catch (e) {
      if (e instanceof AadError && e.code === 399246) return passwordPage(reply, ctx, tx, { ...pageError(e, ctx.s), ...(e.suberror === 'password_recently_used' ? { message: ctx.s('Error_PasswordReused') } : {}) });
      throw e;
    }
  });
}
