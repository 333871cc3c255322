import type { ClientMetadata } from 'oidc-provider';
import type { Application } from '../directory/index.js';
import { redirectUriForms } from '../directory/applications.js';

/**
 * oidc-provider's Client, derived from an app registration on every lookup, so a change to the
 * registration (a redirect URI, a new secret) takes effect at once. oidc-provider caches the built
 * client by a hash of this metadata.
 */
const built = new WeakMap<Application, ClientMetadata>();

/** The same registration object (cached by the repository until it changes) gives the same metadata object. */
export function clientMetadata(app: Application): ClientMetadata {
  let metadata = built.get(app);
  if (!metadata) {
    metadata = buildClientMetadata(app);
    built.set(app, metadata);
  }
  return metadata;
}

function buildClientMetadata(app: Application): ClientMetadata {
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
    ...(app.isConfidential ? ['client_credentials'] : []),
  ];
  return {
    client_id: app.appId,
    client_name: app.displayName,
    // Secrets are checked against the directory (compareClientSecret); this value is never compared.
    ...(app.isConfidential ? { client_secret: 'stored-in-the-directory', token_endpoint_auth_method: 'client_secret_post' } : { token_endpoint_auth_method: 'none' }),
    redirect_uris: redirectUris,
    // Entra accepts any registered redirect URI as a post-logout redirect.
    post_logout_redirect_uris: redirectUris,
    response_types: responseTypes as ClientMetadata['response_types'],
    grant_types: grantTypes,
    subject_type: 'pairwise',
    application_type: 'web',
  };
}
