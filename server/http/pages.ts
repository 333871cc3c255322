import { entraTimestamp } from '../errors.js';
import type { ErrorPageModel } from '../oidc/entra-shape.js';
import type { Views } from './views.js';

/** Entra's hosted error page: a heading, the message, and the AADSTS code with trace details. */
export function createPageRenderer(views: Views) {
  return function renderPage(model: ErrorPageModel): string {
    if (model.kind === 'signed-out') return views.render('./signed-out', { title: 'Signed out', tenant: model.tenant });
    if (model.kind === 'device') return views.render('./device-code', { title: 'Sign in', ...model });
    return views.render('./error', {
      title: 'Sign in',
      tenant: model.tenant,
      heading: "Sorry, but we're having trouble signing you in.",
      message: model.aad.message,
      code: model.aad.code,
      traceId: model.traceId,
      correlationId: model.correlationId,
      timestamp: entraTimestamp(model.now),
    });
  };
}
