import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/csrf-protection';
import { AadError } from '../../errors.js';
import type { SubmittedValues } from '../attribute-values.js';
import {
  assertSameApp, attributeFields, emailStep, faultStatus, formText, pageFault, renderStep, signedIn, stepContext,
  transactionParam, type InteractionRequest, type PageDeps, type StepContext, type StepRoute,
} from '../step-page.js';
import type { FlowTransaction } from '../transactions.js';
import { codeStepRoutes, stepUrl } from '../code-step.js';
import { passwordStepRoutes } from '../password-step.js';
import { AttributeValidationError, type SignUpService } from './service.js';

/**
 * The hosted sign-up pages ("No account? Create one"): email → code → password (email + password
 * flows) → the flow's attributes → signed in and back to the app. Each page is a GET that renders and
 * a POST that validates, redirecting to the next step (post/redirect/get).
 */
export function signUpRoutes(app: FastifyInstance, deps: PageDeps & { signUp: SignUpService }): void {
  const { signUp } = deps;
  const post = { preHandler: app.csrfProtection };
  const url = (ctx: StepContext, step: string, tx?: FlowTransaction) => stepUrl(ctx, 'sign-up', step, tx);
  const load = (req: InteractionRequest, ctx: StepContext) => assertSameApp(signUp.transaction(ctx.tenant, transactionParam(req)), ctx);

  const emailPage = (reply: FastifyReply, ctx: StepContext, email = '', error?: AadError) => renderStep(deps, error && reply.statusCode === 200 ? reply.code(400) : reply, ctx, emailStep(ctx, {
    title: ctx.s('SignUp_Title'), description: ctx.s('SignUp_Description'), action: url(ctx, ''), submit: ctx.s('Button_Next'), email,
    ...(error ? { error } : {}), links: [{ prefix: ctx.s('Link_HaveAccount'), text: ctx.s('Link_SignInInstead'), href: ctx.base }],
  }));
  const attributesPage = (reply: FastifyReply, ctx: StepContext, tx: FlowTransaction, values: Record<string, unknown>, problems: Record<string, string> = {}) =>
    renderStep(deps, reply.code(Object.keys(problems).length ? 400 : 200), ctx, {
      title: ctx.s('AttributeCollection_Title'), heading: ctx.s('AttributeCollection_Title'), description: ctx.s('AttributeCollection_Description'),
      ...(Object.keys(problems).length ? { error: { message: ctx.s('Error_FixAttributes') } } : {}),
      fields: attributeFields(signUp.next(ctx.tenant, tx).inputs, values, problems),
      submit: ctx.s('Button_Create'), action: url(ctx, 'attributes', tx), markRequired: true,
    });

  /** Sends the browser to whatever the sign-up needs next, or creates the account and signs in. */
  const proceed = async (req: InteractionRequest, reply: FastifyReply, ctx: StepContext, tx: FlowTransaction) => {
    const { step } = signUp.next(ctx.tenant, tx);
    if (step === 'complete') return signedIn(deps, ctx, req, reply, signUp.complete(ctx.tenant, tx.id).id, 'signUp');
    return reply.redirect(url(ctx, step === 'verifyCode' ? 'verify' : step, tx), 303);
  };

  codeStepRoutes(app, deps, {
    flow: 'sign-up',
    transaction: (ctx, txId) => signUp.transaction(ctx.tenant, txId),
    sendCode: (ctx, tx) => signUp.sendCode(ctx.tenant, tx, ctx.locale),
    verify: (req, reply, ctx, tx, code) => proceed(req, reply, ctx, signUp.verifyCode(ctx.tenant, tx.id, code)),
  });

  passwordStepRoutes(app, deps, {
    flow: 'sign-up', step: 'password',
    transaction: (ctx, txId) => signUp.transaction(ctx.tenant, txId),
    texts: (ctx, tx) => ({ title: ctx.s('Password_Title'), description: ctx.s('Password_Description', { email: tx.email }), submit: ctx.s('Button_Next') }),
    choose: async (req, reply, ctx, tx, password) => proceed(req, reply, ctx, await signUp.setPassword(ctx.tenant, tx.id, password)),
  });

  app.get<StepRoute>('/:tenant/interaction/:uid/sign-up', async function showSignUpPage(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    signUp.flowOf(ctx.tenant, ctx.clientId);
    return emailPage(reply, ctx);
  });

  app.post<StepRoute>('/:tenant/interaction/:uid/sign-up', post, async function startSignUp(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const email = formText(req.body, 'email');
    const fault = await pageFault(deps, 'sign-up', ctx, email);
    if (fault) return emailPage(reply.code(faultStatus(fault)), ctx, email, fault);
    try {
      const tx = await signUp.sendCode(ctx.tenant, await signUp.start(ctx.tenant, ctx.clientId, email), ctx.locale);
      return reply.redirect(url(ctx, 'verify', tx), 303);
    } catch (e) {
      if (e instanceof AadError && e.code !== 9990403) return emailPage(reply, ctx, email, e);
      throw e;
    }
  });

  app.get<StepRoute>('/:tenant/interaction/:uid/sign-up/attributes', async function showAttributePage(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const tx = load(req, ctx);
    return attributesPage(reply, ctx, tx, tx.attributes);
  });

  app.post<StepRoute>('/:tenant/interaction/:uid/sign-up/attributes', post, async function collectAttributes(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const tx = load(req, ctx);
    const submitted: SubmittedValues = { ...(req.body ?? {}) };
    delete submitted._csrf;
    try {
      return await proceed(req, reply, ctx, signUp.setAttributes(ctx.tenant, tx.id, submitted));
    } catch (e) {
      if (e instanceof AttributeValidationError) {
        return attributesPage(reply, ctx, tx, submitted, Object.fromEntries(e.problems.map((p) => [p.attribute, p.message])));
      }
      throw e;
    }
  });
}
