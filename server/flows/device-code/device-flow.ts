import type Provider from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { handler as deviceCodeGrant, parameters as deviceCodeParameters } from 'oidc-provider/lib/actions/grants/device_code.js';
import type { Tenant } from '../../directory/index.js';
import type { DevicePageModel, ErrorPageRenderer } from '../../oidc/entra-shape.js';

/**
 * The device authorization grant as External ID serves it (learn.microsoft.com "Microsoft identity
 * platform and the OAuth 2.0 device authorization grant flow"). oidc-provider runs the protocol
 * (features.deviceFlow); this module gives it Entra's paths, response and pages. The user signs in
 * on the same hosted sign-in pages as /authorize: oidc-provider starts an interaction after the code
 * is confirmed, and server/flows/sign-in finishes it.
 */

/** Entra's device paths, relative to the tenant segment (the mount routes them, server/oidc/mount.ts). */
export const DEVICE_ROUTES = {
  device_authorization: '/oauth2/v2.0/devicecode',
  code_verification: '/oauth2/deviceauth',
} as const;

/** Entra: "From the moment the request is sent, the user has 15 minutes to sign in". */
export const DEVICE_CODE_TTL = 900;
/** Entra's polling interval in the device code response. */
export const DEVICE_CODE_INTERVAL = 5;

/** MSAL (msal-common GrantType.DEVICE_CODE_GRANT) sends the bare name, which Entra accepts too. */
export const MSAL_DEVICE_CODE_GRANT = 'device_code';
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const isDeviceCodeGrant = (grantType: unknown): boolean => grantType === DEVICE_CODE_GRANT || grantType === MSAL_DEVICE_CODE_GRANT;

export interface DeviceFlowDeps {
  tenant: Tenant;
  publicUrl: string;
  renderPage: ErrorPageRenderer;
}

/** The page's form fields oidc-provider expects back (its own form is replaced by ours). */
function formParts(form: string): { action: string; xsrf: string } {
  return {
    action: /action="([^"]+)"/.exec(form)?.[1] ?? '',
    xsrf: /name="xsrf" value="([^"]+)"/.exec(form)?.[1] ?? '',
  };
}

/** Entra's wording on its code entry page for each reason a code is not taken. */
function codeError(err: (Error & { userCode?: string }) | undefined): string | undefined {
  if (!err) return undefined;
  switch (err.name) {
    case 'NoCodeError':
      return 'Enter the code displayed on your app or device.';
    case 'ExpiredError':
      return 'The code you entered has expired. Get a new code from the device you\'re trying to sign in to and try again.';
    case 'AbortedError':
      return 'You cancelled the sign-in. You can close this window, or enter another code.';
    case 'NotFoundError':
    case 'AlreadyUsedError':
      return 'That code didn\'t work. Check the code and try again.';
    default:
      return 'We couldn\'t sign you in. Get a new code from your device and try again.';
  }
}

export function deviceFlowFeature({ tenant, renderPage }: DeviceFlowDeps): NonNullable<Configuration['features']>['deviceFlow'] {
  const page = (ctx: KoaContextWithOIDC, model: Omit<DevicePageModel, 'kind' | 'tenant'>) => {
    ctx.type = 'html';
    ctx.body = renderPage({ kind: 'device', tenant, ...model });
  };
  return {
    enabled: true,
    // Entra's user codes are 9 letters and digits without a separator (e.g. "GMMZ4VN2B"); base-20
    // (consonants) keeps them unambiguous, and the user may type them in any case.
    charset: 'base-20',
    mask: '*********',
    userCodeInputSource: async (ctx, form, _out, err) => {
      const { action, xsrf } = formParts(form);
      const error = codeError(err as (Error & { userCode?: string }) | undefined);
      if (error && err?.name !== 'AbortedError') ctx.status = 400;
      page(ctx, { step: 'enter-code', action, xsrf, error, userCode: (err as { userCode?: string } | undefined)?.userCode });
    },
    userCodeConfirmSource: async (ctx, form, client, _deviceInfo, userCode) => {
      const { action, xsrf } = formParts(form);
      page(ctx, { step: 'confirm', action, xsrf, userCode, appName: String(client.clientName ?? client.clientId) });
    },
    successSource: async (ctx) => {
      page(ctx, { step: 'success' });
    },
  };
}

/**
 * The device authorization response as Entra sends it: `verification_uri` is the tenant's device
 * page, `interval` 5 and a `message` to show; there is no `verification_uri_complete` (Entra: "The
 * verification_uri_complete response field is not included or supported at this time").
 */
export function installDeviceCodeShape(provider: Provider, helpers: Record<string, unknown>, { tenant, publicUrl }: DeviceFlowDeps): void {
  const verificationUri = deviceVerificationUri(publicUrl, tenant);
  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    if (oidc?.route !== 'device_authorization' || ctx.status !== 200) return;
    const body = ctx.body as { device_code: string; user_code: string; expires_in: number };
    ctx.body = {
      user_code: body.user_code,
      device_code: body.device_code,
      verification_uri: verificationUri,
      expires_in: body.expires_in,
      interval: DEVICE_CODE_INTERVAL,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${body.user_code} to authenticate.`,
    };
  });
  provider.registerGrantType(MSAL_DEVICE_CODE_GRANT, async function deviceCode(ctx: KoaContextWithOIDC) {
    await deviceCodeGrant(provider, helpers, ctx);
  }, [...deviceCodeParameters]);
}

/**
 * Entra's CIAM device page is `https://<subdomain>.ciamlogin.com/common/oauth2/deviceauth`
 * (microsoft.com/devicelogin fails with AADSTS500208 for external tenants). The emulator has one host
 * for every tenant, so the tenant's segment stands in for its host name.
 */
export function deviceVerificationUri(publicUrl: string, tenant: Tenant): string {
  return `${publicUrl}/${tenant.subdomain}${DEVICE_ROUTES.code_verification}`;
}
