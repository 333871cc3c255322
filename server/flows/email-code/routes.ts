import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/csrf-protection';
import { AadError } from '../../errors.js';
import {
  emailStep, faultStatus, formText, pageFault, renderStep, signedIn, signInFailed, stepContext,
  type PageDeps, type StepContext, type StepRoute,
} from '../step-page.js';
import { codeStepRoutes, stepUrl } from '../code-step.js';
import type { EmailCodeSignInService } from './service.js';

/**
 * Sign-in for apps whose user flow uses the email one-time passcode: the sign-in page asks for the
 * email only, an 8-digit code is emailed, and the code signs the user in.
 */
export function emailCodeRoutes(app: FastifyInstance, deps: PageDeps & { emailCode: EmailCodeSignInService }): void {
  const { emailCode } = deps;
  const post = { preHandler: app.csrfProtection };
  codeStepRoutes(app, deps, {
    flow: 'email-code',
    transaction: (ctx, txId) => emailCode.transaction(ctx.tenant, txId),
    sendCode: (ctx, tx) => emailCode.sendCode(ctx.tenant, tx, ctx.locale),
    verify: async (req, reply, ctx, tx, code) => signedIn(deps, ctx, req, reply, emailCode.verifyCode(ctx.tenant, tx.id, code).id, 'emailCode'),
    refused: (ctx, tx, e) => signInFailed(deps, ctx, e, 'emailCode', tx.email),
  });

  app.post<StepRoute>('/:tenant/interaction/:uid/email-code', post, async function sendSignInCode(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const email = formText(req.body, 'email');
    const fault = await pageFault(deps, 'email-code', ctx, email);
    if (fault) return renderStep(deps, reply.code(faultStatus(fault)), ctx, emailCodeSignInStep(ctx, email, fault));
    try {
      const tx = await emailCode.sendCode(ctx.tenant, emailCode.start(ctx.tenant, ctx.clientId, email), ctx.locale);
      return reply.redirect(stepUrl(ctx, 'email-code', 'verify', tx), 303);
    } catch (e) {
      if (!(e instanceof AadError)) throw e;
      return renderStep(deps, reply.code(400), ctx, emailCodeSignInStep(ctx, email, e));
    }
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
