import type { ClientMetadata } from 'oidc-provider';
import type { Application } from '../directory/index.js';
import type { Certificate } from '../directory/key-credentials.js';
import { redirectUriForms } from '../directory/redirect-uris.js';

/**
 * oidc-provider's Client, derived from an app registration on every lookup, so a change to the
 * registration (a redirect URI, a new secret) takes effect at once. oidc-provider caches the built
 * client by a hash of this metadata.
 */
const built = new WeakMap<Application, ClientMetadata>();

/** The same registration object (cached by the repository until it changes) gives the same metadata object. */
export function clientMetadata(app: Application, certificates: readonly Certificate[] = []): ClientMetadata {
  let metadata = built.get(app);
  if (!metadata) {
    metadata = buildClientMetadata(app, certificates);
    built.set(app, metadata);
  }
  return metadata;
}

/**
 * The app's certificates as the client's JWKS, for oidc-provider's private_key_jwt. msal-node's
 * assertions carry `x5t` or `x5t#S256` and no `kid`, so every key is tried; then
 * ./client-assertions.ts checks that the certificate the header names is registered, signed it and
 * is current (Entra finds the key by thumbprint). No `alg`: one certificate verifies RS256 and
 * PS256 assertions alike.
 */
function certificateJwks(certificates: readonly Certificate[]): ClientMetadata['jwks'] | undefined {
  if (certificates.length === 0) return undefined;
  const b64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');
  return {
    // One entry per form of `kid` clients send (MSAL.NET: the base64url thumbprint, SHA-1 or SHA-256;
    // others the hex thumbprint): a `kid` in the header must equal the key's to select it.
    keys: certificates.flatMap((c) => {
      const jwk = { ...(c.publicKey.export({ format: 'jwk' }) as { kty: string; n: string; e: string }), use: 'sig', x5c: [c.certificate] };
      return [b64url(c.thumbprintSha1), b64url(c.thumbprintSha256), c.thumbprintSha1].map((kid) => ({ ...jwk, kid }));
    }),
  } as ClientMetadata['jwks'];
}

function buildClientMetadata(app: Application, certificates: readonly Certificate[]): ClientMetadata {
  const jwks = certificateJwks(certificates);
  // oidc-provider matches redirect URIs exactly; Entra also takes a path-less URI with or without
  // its `/`, so both forms are listed (redirectUriForms).
  const redirectUris = [...new Set([...app.webRedirectUris, ...app.spaRedirectUris, ...app.publicRedirectUris].flatMap(redirectUriForms))];
  const interactive = redirectUris.length > 0;
  const implicit = app.idTokenIssuance || app.accessTokenIssuance;
  const responseTypes = interactive
    ? ['code', ...(app.idTokenIssuance ? ['id_token', 'code id_token'] : []), ...(app.accessTokenIssuance ? ['id_token token', 'code id_token token'] : [])]
    : [];
  const grantTypes = [
    ...(interactive ? ['authorization_code', 'refresh_token'] : []),
    ...(interactive && implicit ? ['implicit'] : []),
    // A confidential app without redirect URIs (a web API) still redeems the refresh tokens OBO gives it.
    ...(app.isConfidential ? ['client_credentials', ...(interactive ? [] : ['refresh_token'])] : []),
    // Entra serves the device code grant to apps with "Allow public client flows" (isFallbackPublicClient).
    ...(!app.isConfidential && app.isFallbackPublicClient ? ['urn:ietf:params:oauth:grant-type:device_code', 'device_code', ...(interactive ? [] : ['refresh_token'])] : []),
    // Every app may ask; ./obo-grant.ts answers a public client as Entra does (AADSTS7000218).
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
  ];
  return {
    client_id: app.appId,
    client_name: app.displayName,
    // Secrets are checked against the directory (compareClientSecret); this value is never compared.
    // Entra lets a confidential app authenticate with a secret or a certificate on any request; the
    // registered method is client_secret_post and provider.ts switches to private_key_jwt for a
    // request that carries a client_assertion.
    ...(app.isConfidential ? { client_secret: 'stored-in-the-directory', token_endpoint_auth_method: 'client_secret_post' } : { token_endpoint_auth_method: 'none' }),
    ...(jwks ? { jwks } : {}),
    redirect_uris: redirectUris,
    // Entra accepts any registered redirect URI as a post-logout redirect.
    post_logout_redirect_uris: redirectUris,
    response_types: responseTypes as ClientMetadata['response_types'],
    grant_types: grantTypes,
    subject_type: 'pairwise',
    application_type: 'web',
  };
}
