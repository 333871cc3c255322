import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/csrf-protection';
import { AadError } from '../errors.js';
import {
  assertSameApp, codeStep, formText, renderStep, stepContext, transactionParam,
  type InteractionRequest, type PageDeps, type StepContext, type StepRoute,
} from './step-page.js';
import type { FlowTransaction } from './transactions.js';

/** `/{tenant}/interaction/{uid}/{flow}[/{step}][?t=…]`: the URL of a flow's step page. */
export function stepUrl(ctx: StepContext, flow: string, step: string, tx?: FlowTransaction): string {
  return `${ctx.base}/${flow}${step ? `/${step}` : ''}${tx ? `?t=${tx.id}` : ''}`;
}

export interface CodeStepFlow {
  /** the flow's path segment: sign-up, password-reset, email-code */
  flow: string;
  transaction(ctx: StepContext, txId: string): FlowTransaction;
  sendCode(ctx: StepContext, tx: FlowTransaction): Promise<FlowTransaction>;
  /** checks the code (throwing AADSTS50181 when wrong) and answers with the flow's next step */
  verify(req: InteractionRequest, reply: FastifyReply, ctx: StepContext, tx: FlowTransaction, code: string): Promise<unknown>;
  /** told of every refused code (the sign-in log) */
  refused?(ctx: StepContext, tx: FlowTransaction, e: AadError): void;
}

/**
 * The "enter the code we emailed" step every self-service flow shares: GET shows it, POST checks
 * the code, POST …/resend sends a new one (the old one stops working; the wrong attempts stay
 * counted). A wrong, expired or spent code, or one resend too many, shows the page again with the
 * reason under the field.
 */
export function codeStepRoutes(app: FastifyInstance, deps: PageDeps, f: CodeStepFlow): void {
  const post = { preHandler: app.csrfProtection };
  const load = (req: InteractionRequest, ctx: StepContext) => assertSameApp(f.transaction(ctx, transactionParam(req)), ctx);
  const page = (reply: FastifyReply, ctx: StepContext, tx: FlowTransaction, extra: { error?: AadError; info?: string } = {}) =>
    renderStep(deps, reply.code(extra.error ? 400 : 200), ctx, codeStep(ctx, tx, { action: stepUrl(ctx, f.flow, 'verify', tx), resend: stepUrl(ctx, f.flow, 'resend', tx), ...extra }));

  app.get<StepRoute>(`/:tenant/interaction/:uid/${f.flow}/verify`, async function showCodePage(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    return page(reply, ctx, load(req, ctx));
  });

  app.post<StepRoute>(`/:tenant/interaction/:uid/${f.flow}/verify`, post, async function verifyCode(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const tx = load(req, ctx);
    try {
      return await f.verify(req, reply, ctx, tx, formText(req.body, 'code'));
    } catch (e) {
      if (!(e instanceof AadError)) throw e;
      f.refused?.(ctx, tx, e);
      if (e.code === 50181) return page(reply, ctx, tx, { error: e });
      throw e;
    }
  });

  app.post<StepRoute>(`/:tenant/interaction/:uid/${f.flow}/resend`, post, async function resendCode(req, reply) {
    const ctx = await stepContext(deps, req, reply);
    const tx = load(req, ctx);
    try {
      const sent = await f.sendCode(ctx, tx);
      return page(reply, ctx, sent, { info: ctx.s('Info_CodeResent', { email: sent.email }) });
    } catch (e) {
      // Too many codes for this address (AADSTS50196): the page stays, saying so under the field.
      if (e instanceof AadError && e.code === 50196) return page(reply, ctx, tx, { error: e });
      throw e;
    }
  });
}
