import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/csrf-protection';
import { AadError } from '../errors.js';
import {
  assertSameApp, newPassword, newPasswordStep, pageError, renderStep, stepContext, transactionParam,
  type FieldMessage, type InteractionRequest, type PageDeps, type StepContext, type StepRoute,
} from './step-page.js';
import type { FlowTransaction } from './transactions.js';
import { stepUrl } from './code-step.js';

export interface PasswordStepFlow {
  /** the flow's path segment (sign-up, password-reset) and this step's (password, new-password) */
  flow: string;
  step: string;
  transaction(ctx: StepContext, txId: string): FlowTransaction;
  /** the page's title, description and button, which depend on the flow and on why it asks */
  texts(ctx: StepContext, tx: FlowTransaction): { title: string; description: string; submit: string };
  /** stores the password (throwing AADSTS399246 when the policy refuses it) and answers with the flow's next step */
  choose(req: InteractionRequest, reply: FastifyReply, ctx: StepContext, tx: FlowTransaction, password: string): Promise<unknown>;
}

/**
 * The "choose a new password" step the sign-up and password-reset flows share: GET shows the
 * new-password and confirm fields, POST checks they match and hands the password to the flow.
 * A mismatch, or a password the policy refuses (AADSTS399246, "recently used" for a reset), shows
 * the page again with the reason under the field.
 */
export function passwordStepRoutes(app: FastifyInstance, deps: PageDeps, f: PasswordStepFlow): void {
  const path = `/:tenant/interaction/:uid/${f.flow}/${f.step}`;
  const load = (req: InteractionRequest, ctx: StepContext) => assertSameApp(f.transaction(ctx, transactionParam(req)), ctx);
  const page = (reply: FastifyReply, ctx: StepContext, tx: FlowTransaction, error?: FieldMessage) =>
    renderStep(deps, reply.code(error ? 400 : 200), ctx, newPasswordStep(ctx, {
      ...f.texts(ctx, tx), action: stepUrl(ctx, f.flow, f.step, tx), ...(error ? { error } : {}),
    }));

  app.get<StepRoute>(path, async function showPasswordPage(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    return page(reply, ctx, load(req, ctx));
  });

  app.post<StepRoute>(path, { preHandler: app.csrfProtection }, async function choosePassword(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const tx = load(req, ctx);
    const chosen = newPassword(req.body, ctx.s);
    if ('mismatch' in chosen) return page(reply, ctx, tx, chosen.mismatch);
    try {
      return await f.choose(req, reply, ctx, tx, chosen.password);
    } catch (e) {
      if (!(e instanceof AadError) || e.code !== 399246) throw e;
      return page(reply, ctx, tx, { ...pageError(e, ctx.s), ...(e.suberror === 'password_recently_used' ? { message: ctx.s('Error_PasswordReused') } : {}) });
    }
  });
}
