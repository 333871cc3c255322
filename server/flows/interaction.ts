import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InteractionResults } from 'oidc-provider';
import { AadError } from '../errors.js';
import type { TenantRegistry } from '../oidc/registry.js';
import type { TenantOidc } from '../oidc/provider.js';

/**
 * The bridge between oidc-provider's interactions and our pages. An /authorize request that needs
 * the user lands on `/{tenantId}/interaction/{uid}`; the page's POST finishes it with a result, and
 * the browser goes back to oidc-provider to complete the redirect to the app.
 */
export type Interaction = Awaited<ReturnType<TenantOidc['provider']['interactionDetails']>>;

/** The interaction's sign-in expired or its cookie was not sent (Entra shows a page for this too). */
export class InteractionExpired extends Error {}

export async function loadInteraction(registry: TenantRegistry, req: FastifyRequest<{ Params: { tenant: string; uid: string } }>, reply: FastifyReply) {
  const oidc = registry.resolve(req.params.tenant);
  if (!oidc) throw new AadError(90002, { tenant: req.params.tenant });
  let interaction: Interaction;
  try {
    interaction = await oidc.provider.interactionDetails(req.raw, reply.raw);
  } catch (e) {
    throw new InteractionExpired('interaction not found', { cause: e });
  }
  if (interaction.uid !== req.params.uid) throw new InteractionExpired('interaction mismatch');
  return { oidc, interaction };
}

/** Completes the interaction and sends the browser back to /authorize to finish the redirect. */
export async function finishInteraction(oidc: TenantOidc, req: FastifyRequest, reply: FastifyReply, result: InteractionResults) {
  const to = await oidc.provider.interactionResult(req.raw, reply.raw, result, { mergeWithLastSubmission: false });
  return reply.redirect(to, 303);
}

/**
 * External ID apps are consented by an admin ahead of time, so a consent prompt (rare: a grant
 * missing something the request asks for) is completed without a page.
 */
export async function grantConsent(oidc: TenantOidc, interaction: Interaction): Promise<InteractionResults> {
  const { Grant } = oidc.provider;
  const accountId = interaction.session?.accountId;
  const clientId = String(interaction.params.client_id);
  const grant = (interaction.grantId && (await Grant.find(interaction.grantId))) || new Grant({ accountId, clientId });
  const details = interaction.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  return { consent: { grantId: await grant.save() } };
}
