import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/csrf-protection';
import type { Tenant } from '../directory/index.js';
import { signInMethod, type FlowInput, type UserFlow } from '../directory/user-flows.js';
import { AadError } from '../errors.js';
import type { Views } from '../http/views.js';
import type { Strings, StringsFor } from '../http/strings.js';
import type { TenantRegistry } from '../oidc/registry.js';
import type { Directory } from '../directory/index.js';
import { CodeError } from './codes.js';
import { PASSWORD_RULES, type PasswordProblem } from './password-policy.js';
import { finishInteraction, loadInteraction, type Interaction } from './interaction.js';
import type { TenantOidc } from '../oidc/provider.js';
import type { FlowTransaction } from './transactions.js';
import { sleep, type FaultEndpoint, type FaultRegistry } from '../emulator/faults.js';
import type { LoginTickets } from '../emulator/login-as.js';
import type { SignInEvent, SignInLog } from '../emulator/sign-in-log.js';
import { preferredUsername } from '../oidc/claims.js';

/**
 * What every hosted flow page shares: the interaction it belongs to, its strings and user flow,
 * one template for a step (heading, fields, submit, resend, links), and the page wording for each
 * flow error. Route files stay a list of steps.
 */
export interface StepField {
  name: string;
  label: string;
  type: 'email' | 'text' | 'password' | 'code' | 'radio' | 'checkbox-multi' | 'checkbox';
  value?: string;
  selected?: string[];
  options?: { label: string; value: string }[];
  autocomplete?: string;
  required?: boolean;
  readonly?: boolean;
  error?: string;
  /** the AADSTS code shown beneath a field's error */
  errorCode?: number;
}

export interface StepModel {
  title: string;
  heading: string;
  description?: string;
  info?: string;
  error?: { message: string; code?: number };
  fields: StepField[];
  submit: string;
  action: string;
  resend?: string;
  links?: { href: string; text: string; prefix?: string }[];
  focus?: string;
  /** show `*` beside required fields (the attribute collection page) */
  markRequired?: boolean;
}

/** The control plane's hooks into the pages: injected faults, login-as tickets, the sign-in log. */
export interface Toolkit {
  faults: FaultRegistry;
  tickets: LoginTickets;
  signIns: SignInLog;
}

export interface PageDeps {
  registry: TenantRegistry;
  directory: Directory;
  views: Views;
  stringsFor: StringsFor;
  toolkit: Toolkit;
}

export interface StepContext {
  oidc: TenantOidc;
  interaction: Interaction;
  tenant: Tenant;
  clientId: string;
  flow: UserFlow | undefined;
  method: 'password' | 'emailOtp';
  s: Strings;
  locale: string;
  /** `/{tenantId}/interaction/{uid}` */
  base: string;
}

/** The shape of every flow page route: the interaction in the path, the transaction in `?t=`, a form body. */
export interface StepRoute {
  Params: { tenant: string; uid: string };
  Querystring: { t?: string };
  Body: Record<string, string | string[] | undefined> | undefined;
}
export type InteractionRequest = FastifyRequest<StepRoute>;

export async function stepContext(deps: PageDeps, req: InteractionRequest, reply: FastifyReply): Promise<StepContext> {
  const { oidc, interaction } = await loadInteraction(deps.registry, req, reply);
  const clientId = String(interaction.params.client_id);
  const flow = deps.directory.userFlows.forApp(oidc.tenant.id, clientId);
  const s = deps.stringsFor(interaction.params.ui_locales);
  return { oidc, interaction, tenant: oidc.tenant, clientId, flow, method: signInMethod(flow), s, locale: s.locale, base: `/${oidc.tenant.id}/interaction/${interaction.uid}` };
}

export function renderStep(deps: PageDeps, reply: FastifyReply, ctx: StepContext, model: StepModel) {
  // The cursor goes to the first field in error, else the first field.
  const focus = model.focus ?? model.fields.find((f) => f.error)?.name;
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(deps.views.render('./step', {
    ...model,
    ...(focus ? { focus } : {}),
    tenant: ctx.tenant,
    lang: ctx.locale,
    s: ctx.s,
    csrf: reply.generateCsrf(),
  }));
}

/** The transaction a step page continues (its id travels in `?t=`), checked against the interaction's app. */
export function transactionParam(req: InteractionRequest): string {
  const t = req.query.t;
  if (typeof t !== 'string' || !/^[\w-]{16,64}$/.test(t)) throw new AadError(55200);
  return t;
}

export function assertSameApp(tx: FlowTransaction, ctx: StepContext): FlowTransaction {
  if (tx.clientId !== ctx.clientId) throw new AadError(55200);
  return tx;
}

/** What a flow page says for an error, and which field it is about. */
export function pageError(e: AadError, s: Strings): FieldMessage {
  if (e instanceof CodeError) {
    return { message: s(e.reason === 'wrong' ? 'Error_CodeWrong' : e.reason === 'expired' ? 'Error_CodeExpired' : 'Error_CodeTooManyAttempts'), code: e.code, field: 'code' };
  }
  switch (e.code) {
    case 90100: return { message: s('Error_InvalidEmail'), field: 'email' };
    case 1003037: return { message: s('Error_UserExists'), code: e.code, field: 'email' };
    case 50034: return { message: s('Error_UserNotFound'), code: e.code, field: 'email' };
    case 50053: return { message: s('Error_AccountLocked'), code: e.code };
    case 50057: return { message: s('Error_AccountDisabled'), code: e.code };
    case 50126: return { message: s('Error_WrongPassword'), code: e.code, field: 'password' };
    case 50181: return { message: s('Error_CodeWrong'), code: e.code, field: 'code' };
    case 399246: return { message: PASSWORD_RULES[(e.suberror ?? 'password_too_weak') as PasswordProblem] ?? e.text, code: e.code, field: 'password' };
    case 552003: case 55200: return { message: s('Error_SessionExpired'), code: e.code };
    case 500222: return { message: s('Error_NoPassword'), code: e.code, field: 'email' };
    case 9990403: return { message: s('Error_SignUpNotAllowed') };
    default: return { message: e.text, code: e.code };
  }
}

/** A field for each input of the flow's attribute collection page. */
export function attributeFields(inputs: FlowInput[], values: Record<string, unknown>, problems: Record<string, string> = {}): StepField[] {
  return inputs.map((i) => {
    const v = values[i.attribute];
    const text = v === undefined || v === null ? undefined : String(v);
    const base = { name: i.attribute, label: i.label, required: i.required, ...(problems[i.attribute] ? { error: problems[i.attribute] } : {}) };
    switch (i.inputType) {
      case 'radioSingleSelect': return { ...base, type: 'radio' as const, options: i.options ?? [], selected: text ? [text] : [] };
      case 'checkboxMultiSelect': return { ...base, type: 'checkbox-multi' as const, options: i.options ?? [], selected: text ? text.split(',') : [] };
      case 'boolean': return { ...base, type: 'checkbox' as const, ...(text ? { value: text } : {}) };
      default: return { ...base, type: 'text' as const, ...(text ? { value: text } : {}) };
    }
  });
}

/** The "enter your email" step (sign-up, password reset, email-code sign-in). */
export function emailStep(ctx: StepContext, m: { title: string; description: string; action: string; submit: string; email?: string; error?: AadError; links?: StepModel['links'] }): StepModel {
  const e = m.error && pageError(m.error, ctx.s);
  return {
    title: m.title, heading: m.title, description: m.description, ...(e && e.field !== 'email' ? { error: e } : {}),
    fields: [{ name: 'email', label: ctx.s('Attribute_Email'), type: 'email', value: m.email ?? '', autocomplete: 'email', required: true, ...fieldError(e, 'email') }],
    submit: m.submit, action: m.action, ...(m.links ? { links: m.links } : {}),
  };
}

/** The "enter the code we emailed" step, with its resend button. */
export function codeStep(ctx: StepContext, tx: FlowTransaction, m: { action: string; resend: string; error?: AadError; info?: string }): StepModel {
  const e = m.error && pageError(m.error, ctx.s);
  return {
    title: ctx.s('SisuOtc_Title'), heading: ctx.s('SisuOtc_Title'), description: ctx.s('SisuOtc_Description', { email: tx.email }),
    ...(m.info ? { info: m.info } : {}), ...(e && e.field !== 'code' ? { error: e } : {}),
    fields: [{ name: 'code', label: ctx.s('Attribute_Code'), type: 'code', autocomplete: 'one-time-code', required: true, ...fieldError(e, 'code') }],
    submit: ctx.s('Button_Verify'), action: m.action, resend: m.resend,
  };
}

/** The "choose a password" step: new and confirm. */
export function newPasswordStep(ctx: StepContext, m: { title: string; description?: string; action: string; submit: string; error?: FieldMessage }): StepModel {
  return {
    title: m.title, heading: m.title, ...(m.description ? { description: m.description } : {}),
    fields: [
      { name: 'password', label: ctx.s('Attribute_NewPassword'), type: 'password', autocomplete: 'new-password', required: true, ...fieldError(m.error, 'password') },
      { name: 'confirmPassword', label: ctx.s('Attribute_ConfirmPassword'), type: 'password', autocomplete: 'new-password', required: true, ...fieldError(m.error, 'confirmPassword') },
    ],
    submit: m.submit, action: m.action,
  };
}

/** A message about one field (its AADSTS code, if any, shown beneath it). */
export interface FieldMessage {
  message: string;
  code?: number;
  field?: string;
}

/** The error props of `field`, when the message is about it. */
function fieldError(e: FieldMessage | undefined, field: string): { error?: string; errorCode?: number } {
  if (!e || e.field !== field) return {};
  return { error: e.message, ...(e.code ? { errorCode: e.code } : {}) };
}

/** The two password fields of a form, or the mismatch message (about the confirmation field). */
export function newPassword(body: StepRoute['Body'], s: Strings): { password: string } | { mismatch: FieldMessage } {
  const password = typeof body?.password === 'string' ? body.password : '';
  return password === body?.confirmPassword ? { password } : { mismatch: { message: s('Attribute_Password_MismatchErrorString'), field: 'confirmPassword' } };
}

/** Signs the user in (and logs it): the interaction finishes and the browser returns to /authorize, then the app. */
export function signedIn(deps: PageDeps, ctx: StepContext, req: InteractionRequest, reply: FastifyReply, userId: string, method: SignInEvent['method']) {
  const user = deps.directory.users.findById(ctx.tenant.id, userId);
  deps.toolkit.signIns.record({ tenantId: ctx.tenant.id, userId, userName: user ? preferredUsername(user, ctx.tenant) : null, appId: ctx.clientId, method, errorCode: 0, correlationId: ctx.interaction.uid });
  return finishInteraction(ctx.oidc, req, reply, { login: { accountId: userId, remember: false }, select_account: {}, create: {} } as never);
}

/** The HTTP status a page shows an injected fault with: the rule's, else 400. */
export function faultStatus(e: AadError): number {
  return (e as AadError & { pageStatus?: number }).pageStatus ?? 400;
}

/** Logs a failed sign-in step with its AADSTS code. */
export function signInFailed(deps: PageDeps, ctx: StepContext, e: AadError, method: SignInEvent['method'], userName: string): void {
  const user = deps.directory.users.findBySignInName(ctx.tenant.id, userName);
  deps.toolkit.signIns.record({ tenantId: ctx.tenant.id, userId: user?.id ?? null, userName, appId: ctx.clientId, method, errorCode: e.code, failureReason: e.text, correlationId: ctx.interaction.uid });
}

/**
 * A fault the control plane set for this step (POST /_emulator/v1/faults): waits its latency, and
 * returns the error the page should show, if it has one.
 */
export async function pageFault(deps: PageDeps, endpoint: FaultEndpoint, ctx: StepContext, user: string): Promise<AadError | undefined> {
  const rule = deps.toolkit.faults.has(endpoint) ? deps.toolkit.faults.take(endpoint, { tenantId: ctx.tenant.id, clientId: ctx.clientId, user }) : undefined;
  if (!rule) return undefined;
  if (rule.latencyMs) await sleep(rule.latencyMs);
  if (rule.aadsts !== undefined) return new AadError(rule.aadsts);
  if (rule.status !== undefined) return Object.assign(new AadError(9990503, { status: rule.status }), { pageStatus: rule.status });
  return undefined;
}

export const formText = (body: StepRoute['Body'], name: string): string => (typeof body?.[name] === 'string' ? (body[name] as string).trim() : '');
