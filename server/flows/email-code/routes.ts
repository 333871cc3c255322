import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/csrf-protection';
import { AadError } from '../../errors.js';
import {
  assertSameApp, codeStep, emailStep, faultStatus, formText, pageFault, renderStep, signedIn, signInFailed, stepContext, transactionParam,
  type InteractionRequest, type PageDeps, type StepContext, type StepRoute,
} from '../step-page.js';
import type { FlowTransaction } from '../transactions.js';
import type { EmailCodeSignInService } from './service.js';

/**
 * Sign-in for apps whose user flow uses the email one-time passcode: the sign-in page asks for the
 * email only, an 8-digit code is emailed, and the code signs the user in.
 */
export function emailCodeRoutes(app: FastifyInstance, deps: PageDeps & { emailCode: EmailCodeSignInService }): void {
  const { emailCode } = deps;
  const post = { preHandler: app.csrfProtection };
  const url = (ctx: StepContext, step: string, tx: FlowTransaction) => `${ctx.base}/email-code/${step}?t=${tx.id}`;
  const load = (req: InteractionRequest, ctx: StepContext) => assertSameApp(emailCode.transaction(ctx.tenant, transactionParam(req)), ctx);
  const codePage = (reply: FastifyReply, ctx: StepContext, tx: FlowTransaction, extra: { error?: AadError; info?: string } = {}) =>
    renderStep(deps, reply.code(extra.error ? 400 : 200), ctx, codeStep(ctx, tx, { action: url(ctx, 'verify', tx), resend: url(ctx, 'resend', tx), ...extra }));

  app.post<StepRoute>('/:tenant/interaction/:uid/email-code', post, async function sendSignInCode(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const email = formText(req.body, 'email');
    const fault = await pageFault(deps, 'email-code', ctx, email);
    if (fault) return renderStep(deps, reply.code(faultStatus(fault)), ctx, emailCodeSignInStep(ctx, email, fault));
    try {
      const tx = await emailCode.sendCode(ctx.tenant, emailCode.start(ctx.tenant, ctx.clientId, email), ctx.locale);
      return reply.redirect(url(ctx, 'verify', tx), 303);
    } catch (e) {
      if (!(e instanceof AadError)) throw e;
      return renderStep(deps, reply.code(400), ctx, emailCodeSignInStep(ctx, email, e));
    }
  });

  app.get<StepRoute>('/:tenant/interaction/:uid/email-code/verify', async function showSignInCodePage(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    return codePage(reply, ctx, load(req, ctx));
  });

  app.post<StepRoute>('/:tenant/interaction/:uid/email-code/verify', post, async function verifySignInCode(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const tx = load(req, ctx);
    try {
      return signedIn(deps, ctx, req, reply, emailCode.verifyCode(ctx.tenant, tx.id, formText(req.body, 'code')).id, 'emailCode');
    } catch (e) {
      if (e instanceof AadError) signInFailed(deps, ctx, e, 'emailCode', tx.email);
      if (e instanceof AadError && e.code === 50181) return codePage(reply, ctx, tx, { error: e });
      throw e;
    }
  });

  app.post<StepRoute>('/:tenant/interaction/:uid/email-code/resend', post, async function resendSignInCode(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const tx = await emailCode.sendCode(ctx.tenant, load(req, ctx), ctx.locale);
    return codePage(reply, ctx, tx, { info: ctx.s('Info_CodeResent', { email: tx.email }) });
  });
}

/** The sign-in page of an email one-time passcode flow: the email only, then a code. */
export function emailCodeSignInStep(ctx: StepContext, email: string, error?: AadError) {
  return emailStep(ctx, {
    title: ctx.s('SignIn_Title'), description: ctx.s('SignIn_EmailCode_Description'), action: `${ctx.base}/email-code`, submit: ctx.s('Button_SendCode'), email,
    ...(error ? { error } : {}),
    ...(ctx.flow?.isSignUpAllowed ? { links: [{ prefix: ctx.s('Link_NoAccount'), text: ctx.s('Link_CreateOne'), href: `${ctx.base}/sign-up` }] } : {}),
  });
}
