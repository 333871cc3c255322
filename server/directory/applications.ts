import { X509Certificate, createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/connection.js';
import { keyCredentialFrom, type Certificate, type KeyCredential, type KeyCredentialInput } from './key-credentials.js';
import { redirectUriPlatform } from './redirect-uris.js';

/** A delegated permission an API exposes (api.oauth2PermissionScopes). */
export interface PermissionScope {
  id: string;
  value: string;
  adminConsentDisplayName?: string;
}

/** An app role (appRoles); `Application` members are granted to daemons, `User` members to users. */
export interface AppRole {
  id: string;
  value: string;
  displayName?: string;
  allowedMemberTypes: string[];
}

/** Permissions an admin has consented to for this app, on one resource app. */
export interface GrantedPermission {
  resourceAppId: string;
  scopes?: string[];
  roles?: string[];
}

/** A claim an app adds to its tokens from a user attribute (built-in or `extension_…`). */
export interface ClaimMapping {
  claim: string;
  source: string;
}

export interface Application {
  tenantId: string;
  id: string;
  appId: string;
  displayName: string;
  webRedirectUris: string[];
  spaRedirectUris: string[];
  publicRedirectUris: string[];
  logoutUrl: string | null;
  idTokenIssuance: boolean;
  accessTokenIssuance: boolean;
  isFallbackPublicClient: boolean;
  identifierUris: string[];
  accessTokenVersion: 1 | 2;
  scopes: PermissionScope[];
  appRoles: AppRole[];
  grantedPermissions: GrantedPermission[];
  claimsMapping: ClaimMapping[];
  /** native authentication API allowed (Entra's "Enable native authentication" setting; migration 0006) */
  nativeAuthenticationApisEnabled: boolean;
  /** a Conditional Access policy requires MFA for this app (native sign-in only; migration 0006) */
  requireMultifactorAuthentication: boolean;
  /** true when the app has at least one client secret or certificate: it then authenticates at the token endpoint */
  isConfidential: boolean;
}

interface AppRow {
  tenant_id: string;
  id: string;
  app_id: string;
  display_name: string;
  web_redirect_uris_json: string;
  spa_redirect_uris_json: string;
  public_redirect_uris_json: string;
  logout_url: string | null;
  id_token_issuance: number;
  access_token_issuance: number;
  is_fallback_public_client: number;
  identifier_uris_json: string;
  access_token_version: number;
  scopes_json: string;
  app_roles_json: string;
  granted_permissions_json: string;
  claims_mapping_json: string;
  native_auth_apis_enabled: number;
  require_mfa: number;
  password_count: number;
  key_count: number;
}

const json = <T>(s: string): T => JSON.parse(s) as T;

const toApplication = (r: AppRow): Application => ({
  tenantId: r.tenant_id,
  id: r.id,
  appId: r.app_id,
  displayName: r.display_name,
  webRedirectUris: json(r.web_redirect_uris_json),
  spaRedirectUris: json(r.spa_redirect_uris_json),
  publicRedirectUris: json(r.public_redirect_uris_json),
  logoutUrl: r.logout_url,
  idTokenIssuance: r.id_token_issuance === 1,
  accessTokenIssuance: r.access_token_issuance === 1,
  isFallbackPublicClient: r.is_fallback_public_client === 1,
  identifierUris: json(r.identifier_uris_json),
  accessTokenVersion: r.access_token_version === 1 ? 1 : 2,
  scopes: json(r.scopes_json),
  appRoles: json(r.app_roles_json),
  grantedPermissions: json(r.granted_permissions_json),
  claimsMapping: json(r.claims_mapping_json),
  nativeAuthenticationApisEnabled: r.native_auth_apis_enabled === 1,
  requireMultifactorAuthentication: r.require_mfa === 1,
  isConfidential: r.password_count + r.key_count > 0,
});

export type ApplicationInput = Omit<Application, 'tenantId' | 'isConfidential' | 'nativeAuthenticationApisEnabled' | 'requireMultifactorAuthentication'>
  // native auth (issue 7): optional so callers that do not know the settings keep them off
  & { nativeAuthenticationApisEnabled?: boolean; requireMultifactorAuthentication?: boolean };

/**
 * A client secret to store: its text (Graph addPassword, a fixture file), or only its SHA-256 and
 * hint (a fixture set re-applied at reset, which keeps secrets hashed: fixtures/apply.ts).
 */
export type PasswordInput = {
  keyId: string;
  displayName: string | null;
  startAt: number;
  endAt: number | null;
} & ({ secretText: string } | { secretSha256: string; hint: string });

export const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
/** Graph's passwordCredential.hint: the secret's first three characters. */
export const secretHint = (secretText: string): string => secretText.slice(0, 3);

const SELECT = `SELECT a.*, (SELECT count(*) FROM app_passwords p WHERE p.tenant_id = a.tenant_id AND p.app_object_id = a.id) AS password_count,
  (SELECT count(*) FROM app_keys k WHERE k.tenant_id = a.tenant_id AND k.app_object_id = a.id) AS key_count
  FROM applications a`;

interface KeyRow {
  app_id: string;
  key_id: string;
  display_name: string | null;
  custom_key_identifier: string | null;
  cert_der_base64: string;
  thumbprint_sha1: string;
  thumbprint_sha256: string;
  start_at: number;
  end_at: number;
}
const toKeyCredential = (r: KeyRow): KeyCredential => ({
  keyId: r.key_id, displayName: r.display_name, customKeyIdentifier: r.custom_key_identifier, certificate: r.cert_der_base64,
  thumbprintSha1: r.thumbprint_sha1, thumbprintSha256: r.thumbprint_sha256, startAt: r.start_at, endAt: r.end_at,
});

/** What a presented client secret is: one of the app's current secrets, only an expired one, or none. */
export type SecretCheck = 'valid' | 'expired' | 'invalid';

export class ApplicationRepository {
  readonly #db: Db;
  readonly #list;
  readonly #upsert;
  readonly #secrets;
  readonly #upsertPassword;
  readonly #keys;
  readonly #insertKey;

  constructor(db: Db) {
    this.#db = db;
    this.#list = db.prepare<[string], AppRow>(`${SELECT} WHERE a.tenant_id = ? ORDER BY a.display_name`);
    this.#upsert = db.prepare(`
      INSERT INTO applications (tenant_id, id, app_id, display_name, web_redirect_uris_json, spa_redirect_uris_json,
        public_redirect_uris_json, logout_url, id_token_issuance, access_token_issuance, is_fallback_public_client,
        identifier_uris_json, access_token_version, scopes_json, app_roles_json, granted_permissions_json, claims_mapping_json, native_auth_apis_enabled, require_mfa, created_at)
      VALUES (@tenantId, @id, @appId, @displayName, @web, @spa, @public, @logoutUrl, @idTokenIssuance, @accessTokenIssuance,
        @isFallbackPublicClient, @identifierUris, @accessTokenVersion, @scopes, @appRoles, @grantedPermissions, @claimsMapping, @nativeAuth, @requireMfa, @now)
      ON CONFLICT (tenant_id, id) DO UPDATE SET app_id = excluded.app_id, display_name = excluded.display_name,
        web_redirect_uris_json = excluded.web_redirect_uris_json, spa_redirect_uris_json = excluded.spa_redirect_uris_json,
        public_redirect_uris_json = excluded.public_redirect_uris_json, logout_url = excluded.logout_url,
        id_token_issuance = excluded.id_token_issuance, access_token_issuance = excluded.access_token_issuance,
        is_fallback_public_client = excluded.is_fallback_public_client, identifier_uris_json = excluded.identifier_uris_json,
        access_token_version = excluded.access_token_version, scopes_json = excluded.scopes_json,
        app_roles_json = excluded.app_roles_json, granted_permissions_json = excluded.granted_permissions_json,
        claims_mapping_json = excluded.claims_mapping_json, native_auth_apis_enabled = excluded.native_auth_apis_enabled, require_mfa = excluded.require_mfa`);
    this.#secrets = db.prepare<[string], { app_id: string; secret_sha256: string; end_at: number | null }>(`
      SELECT a.app_id, p.secret_sha256, p.end_at FROM app_passwords p JOIN applications a ON a.tenant_id = p.tenant_id AND a.id = p.app_object_id
      WHERE a.tenant_id = ?`);
    this.#upsertPassword = db.prepare(`
      INSERT INTO app_passwords (tenant_id, app_object_id, key_id, display_name, hint, secret_sha256, start_at, end_at)
      VALUES (@tenantId, @appObjectId, @keyId, @displayName, @hint, @secretSha256, @startAt, @endAt)
      ON CONFLICT (tenant_id, key_id) DO UPDATE SET display_name = excluded.display_name, hint = excluded.hint,
        secret_sha256 = excluded.secret_sha256, start_at = excluded.start_at, end_at = excluded.end_at`);
    this.#keys = db.prepare<[string], KeyRow>(`
      SELECT a.app_id, k.* FROM app_keys k JOIN applications a ON a.tenant_id = k.tenant_id AND a.id = k.app_object_id
      WHERE a.tenant_id = ? ORDER BY k.start_at, k.key_id`);
    this.#insertKey = db.prepare(`
      INSERT INTO app_keys (tenant_id, app_object_id, key_id, display_name, custom_key_identifier, cert_der_base64, thumbprint_sha1, thumbprint_sha256, start_at, end_at)
      VALUES (@tenantId, @appObjectId, @keyId, @displayName, @customKeyIdentifier, @certificate, @thumbprintSha1, @thumbprintSha256, @startAt, @endAt)
      ON CONFLICT (tenant_id, key_id) DO UPDATE SET app_object_id = excluded.app_object_id, display_name = excluded.display_name,
        custom_key_identifier = excluded.custom_key_identifier, cert_der_base64 = excluded.cert_der_base64, thumbprint_sha1 = excluded.thumbprint_sha1,
        thumbprint_sha256 = excluded.thumbprint_sha256, start_at = excluded.start_at, end_at = excluded.end_at`);
  }

  /**
   * The tenant's registrations, read once and kept until this repository writes: every token request
   * looks an app up several times (client, resource, granted roles), and parsing rows each time was
   * most of the emulator's cost per token. All writes go through this class, so the cache is never stale.
   */
  readonly #cache = new Map<string, {
    byAppId: Map<string, Application>;
    all: Application[];
    secrets: Map<string, { sha256: Buffer; endAt: number | null }[]>;
    certificates: Map<string, Certificate[]>;
  }>();

  #tenantApps(tenantId: string) {
    let entry = this.#cache.get(tenantId);
    if (!entry) {
      const all = this.#list.all(tenantId).map(toApplication);
      const secrets = new Map<string, { sha256: Buffer; endAt: number | null }[]>();
      for (const s of this.#secrets.all(tenantId)) {
        secrets.set(s.app_id, [...(secrets.get(s.app_id) ?? []), { sha256: Buffer.from(s.secret_sha256, 'hex'), endAt: s.end_at }]);
      }
      const certificates = new Map<string, Certificate[]>();
      for (const k of this.#keys.all(tenantId)) {
        const credential = toKeyCredential(k);
        const publicKey = new X509Certificate(Buffer.from(credential.certificate, 'base64')).publicKey;
        certificates.set(k.app_id, [...(certificates.get(k.app_id) ?? []), { ...credential, publicKey }]);
      }
      entry = { all, byAppId: new Map(all.map((a) => [a.appId, a])), secrets, certificates };
      this.#cache.set(tenantId, entry);
    }
    return entry;
  }

  /** Drops what is cached for a tenant whose rows were changed outside this repository (a reset). */
  forget(tenantId: string): void {
    this.#cache.delete(tenantId);
  }

  findByAppId(tenantId: string, appId: string): Application | undefined {
    return this.#tenantApps(tenantId).byAppId.get(appId.toLowerCase());
  }

  /** The app that registered this redirect URI (any platform), for logout requests that name no client. */
  findByRedirectUri(tenantId: string, uri: string): Application | undefined {
    return this.list(tenantId).find((a) => redirectUriPlatform(a, uri) !== undefined);
  }

  list(tenantId: string): Application[] {
    return this.#tenantApps(tenantId).all;
  }

  upsert(tenantId: string, app: ApplicationInput, now: number): void {
    this.#cache.delete(tenantId);
    this.#upsert.run({
      tenantId,
      id: app.id.toLowerCase(),
      appId: app.appId.toLowerCase(),
      displayName: app.displayName,
      web: JSON.stringify(app.webRedirectUris),
      spa: JSON.stringify(app.spaRedirectUris),
      public: JSON.stringify(app.publicRedirectUris),
      logoutUrl: app.logoutUrl,
      idTokenIssuance: app.idTokenIssuance ? 1 : 0,
      accessTokenIssuance: app.accessTokenIssuance ? 1 : 0,
      isFallbackPublicClient: app.isFallbackPublicClient ? 1 : 0,
      nativeAuth: app.nativeAuthenticationApisEnabled ? 1 : 0,
      requireMfa: app.requireMultifactorAuthentication ? 1 : 0,
      identifierUris: JSON.stringify(app.identifierUris),
      accessTokenVersion: app.accessTokenVersion,
      scopes: JSON.stringify(app.scopes),
      appRoles: JSON.stringify(app.appRoles),
      grantedPermissions: JSON.stringify(app.grantedPermissions),
      claimsMapping: JSON.stringify(app.claimsMapping),
      now,
    });
  }

  upsertPassword(tenantId: string, appObjectId: string, p: PasswordInput): void {
    this.#cache.delete(tenantId);
    this.#upsertPassword.run({
      tenantId,
      appObjectId: appObjectId.toLowerCase(),
      keyId: p.keyId.toLowerCase(),
      displayName: p.displayName,
      hint: 'secretText' in p ? secretHint(p.secretText) : p.hint,
      secretSha256: 'secretText' in p ? sha256(p.secretText) : p.secretSha256,
      startAt: p.startAt,
      endAt: p.endAt,
    });
  }

  // Added for Microsoft Graph (server/graph): list and remove client secrets. Writes clear the cache,
  // like every other write here.
  /** The app's client secrets as Graph shows them (never the secret itself). */
  passwordCredentials(tenantId: string, appObjectId: string): { keyId: string; displayName: string | null; hint: string; startAt: number; endAt: number | null }[] {
    return this.#db.prepare<[string, string], { key_id: string; display_name: string | null; hint: string; start_at: number; end_at: number | null }>(
      'SELECT key_id, display_name, hint, start_at, end_at FROM app_passwords WHERE tenant_id = ? AND app_object_id = lower(?) ORDER BY start_at, key_id')
      .all(tenantId, appObjectId)
      .map((r) => ({ keyId: r.key_id, displayName: r.display_name, hint: r.hint, startAt: r.start_at, endAt: r.end_at }));
  }

  /** Removes a client secret; false when the app has no secret with this key id. */
  removePassword(tenantId: string, appObjectId: string, keyId: string): boolean {
    this.#cache.delete(tenantId);
    return this.#db.prepare('DELETE FROM app_passwords WHERE tenant_id = ? AND app_object_id = lower(?) AND key_id = lower(?)')
      .run(tenantId, appObjectId, keyId).changes > 0;
  }

  // A daemon presents the same secret on every token request: its digest is remembered (a few).
  readonly #digests = new Map<string, Buffer>();

  #secretDigest(secret: string): Buffer {
    let d = this.#digests.get(secret);
    if (!d) {
      d = Buffer.from(sha256(secret), 'hex');
      if (this.#digests.size >= 64) this.#digests.clear();
      this.#digests.set(secret, d);
    }
    return d;
  }

  /** True when `secret` is one of the app's unexpired client secrets (constant-time compare). */
  verifySecret(tenantId: string, appId: string, secret: string, now: number): boolean {
    return this.checkSecret(tenantId, appId, secret, now) === 'valid';
  }

  /**
   * Whether `secret` is a current secret of the app, only matches secrets past their endDateTime
   * (Entra answers AADSTS7000222 then, not 7000215), or matches none. Constant-time compares.
   */
  checkSecret(tenantId: string, appId: string, secret: string, now: number): SecretCheck {
    const actual = this.#secretDigest(secret);
    let valid = false;
    let expired = false;
    for (const s of this.#tenantApps(tenantId).secrets.get(appId.toLowerCase()) ?? []) {
      if (!timingSafeEqual(actual, s.sha256)) continue;
      if (s.endAt === null || s.endAt > now) valid = true;
      else expired = true;
    }
    return valid ? 'valid' : expired ? 'expired' : 'invalid';
  }

  // Certificate credentials (Graph keyCredentials). Writes clear the cache like every other write.
  /** The app's certificates, parsed, for the token endpoint (from the cache). */
  certificates(tenantId: string, appId: string): Certificate[] {
    return this.#tenantApps(tenantId).certificates.get(appId.toLowerCase()) ?? [];
  }

  /** The app's certificate credentials as Graph lists them. */
  keyCredentials(tenantId: string, appObjectId: string): KeyCredential[] {
    return this.#db.prepare<[string, string], KeyRow>(
      "SELECT '' AS app_id, k.* FROM app_keys k WHERE k.tenant_id = ? AND k.app_object_id = lower(?) ORDER BY k.start_at, k.key_id")
      .all(tenantId, appObjectId)
      .map(toKeyCredential);
  }

  /** Adds (or, by keyId, replaces) one certificate; throws InvalidCertificateError for a bad `key`. */
  upsertKey(tenantId: string, appObjectId: string, input: KeyCredentialInput): KeyCredential {
    const credential = keyCredentialFrom(input);
    this.#cache.delete(tenantId);
    this.#insertKey.run({ tenantId, appObjectId: appObjectId.toLowerCase(), ...credential });
    return credential;
  }

  /**
   * Graph's PATCH semantics for keyCredentials: the collection sent becomes the app's whole set.
   * Entries are validated first, so a bad certificate changes nothing.
   */
  replaceKeys(tenantId: string, appObjectId: string, inputs: (KeyCredentialInput | { keyId: string; keep: true })[]): void {
    const existing = new Map(this.keyCredentials(tenantId, appObjectId).map((k) => [k.keyId, k]));
    const next = inputs.map((i) => {
      if ('keep' in i) {
        const k = existing.get(i.keyId.toLowerCase());
        if (!k) throw new Error(`keyCredential ${i.keyId} has no key and is not one of the application's credentials`);
        return k;
      }
      return keyCredentialFrom(i);
    });
    this.#cache.delete(tenantId);
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM app_keys WHERE tenant_id = ? AND app_object_id = lower(?)').run(tenantId, appObjectId);
      for (const k of next) this.#insertKey.run({ tenantId, appObjectId: appObjectId.toLowerCase(), ...k });
    })();
  }

  /** Removes a certificate; false when the app has none with this key id. */
  removeKey(tenantId: string, appObjectId: string, keyId: string): boolean {
    this.#cache.delete(tenantId);
    return this.#db.prepare('DELETE FROM app_keys WHERE tenant_id = ? AND app_object_id = lower(?) AND key_id = lower(?)')
      .run(tenantId, appObjectId, keyId).changes > 0;
  }
}

/**
 * The object id of an app's service principal (the app's identity in its tenant; `oid` of app-only
 * tokens). Derived from the app id so it is stable without a table of its own.
 */
export function servicePrincipalId(app: Pick<Application, 'tenantId' | 'appId'>): string {
  const h = createHash('sha256').update(`servicePrincipal|${app.tenantId}|${app.appId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16] ?? '0', 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
