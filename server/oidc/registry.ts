import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import type { Clock } from '../clock.js';
import type { Directory } from '../directory/index.js';
import { ensureSigningKeys, entraJwks, keySchedule, readSigningKeys, rotateSigningKeys, type KeySchedule, type RotationResult, type SigningKey } from './keys.js';
import { createTenantProvider, type TenantOidc } from './provider.js';
import type { ErrorPageRenderer } from './entra-shape.js';

export interface RegistryDeps {
  config: Config;
  db: Db;
  directory: Directory;
  clock: Clock;
  renderErrorPage: ErrorPageRenderer;
}

/** A tenant's provider and the key arrangement it was built for. */
interface Entry {
  oidc: TenantOidc;
  keys: SigningKey[];
  schedule: KeySchedule;
}

/**
 * The tenants this emulator serves, each with its own oidc-provider (own keys, issuer, cookies).
 * Tenant segments are resolved case-insensitively as GUID, `contoso` or `contoso.onmicrosoft.com`.
 *
 * oidc-provider signs with the first key of its `jwks` and fixes its keystore when it is made, so
 * when the emulator's clock reaches a key change (a rotated key starts signing, a retired one leaves
 * the JWKS) the tenant's provider is made again from the keys already loaded, on the next request.
 */
export class TenantRegistry {
  readonly #deps: RegistryDeps;
  readonly #byId = new Map<string, Entry>();
  readonly #aliases = new Map<string, string>();
  readonly #installers: ((oidc: TenantOidc) => void)[] = [];

  constructor(deps: RegistryDeps) {
    this.#deps = deps;
  }

  /** Builds a provider for every tenant in the directory (keys are made here on first start). */
  async loadAll(): Promise<void> {
    for (const tenant of this.#deps.directory.tenants.list()) await this.load(tenant.id);
  }

  async load(tenantId: string): Promise<TenantOidc> {
    const tenant = this.#deps.directory.tenants.get(tenantId);
    if (!tenant) throw new Error(`no tenant ${tenantId}`);
    const { config } = this.#deps;
    const keys = await ensureSigningKeys(this.#deps.db, tenant.id, this.#deps.clock, config.data === ':memory:' ? config.certsDir : undefined);
    const entry = this.#build(tenant.id, keys);
    for (const alias of [tenant.id, tenant.subdomain, tenant.defaultDomain]) this.#aliases.set(alias.toLowerCase(), tenant.id);
    return entry.oidc;
  }

  #build(tenantId: string, keys: SigningKey[]): Entry {
    const tenant = this.#deps.directory.tenants.get(tenantId);
    if (!tenant) throw new Error(`no tenant ${tenantId}`);
    const schedule = keySchedule(keys, this.#deps.clock.nowMs());
    // The signing key first: oidc-provider signs with the first key that fits the algorithm; the
    // others still verify what they signed (an id_token_hint at logout).
    const jwks = { keys: schedule.published.map((k) => k.jwk) };
    const issuer = `${this.#deps.config.publicUrl}/${tenant.id}/v2.0`;
    const oidc = createTenantProvider({ ...this.#deps, tenant, jwks, publishedJwks: entraJwks(schedule.published, issuer) });
    for (const install of this.#installers) install(oidc);
    const entry = { oidc, keys, schedule };
    this.#byId.set(tenant.id, entry);
    return entry;
  }

  /**
   * Runs `install` (grant types, hooks) on every tenant's provider: those made already, and each one
   * made later (a new tenant, a snapshot restore, a key change).
   */
  onProvider(install: (oidc: TenantOidc) => void): void {
    this.#installers.push(install);
    for (const entry of this.#byId.values()) install(entry.oidc);
  }

  /** The tenant's provider, made again first when the clock has passed a key change. */
  #current(entry: Entry): TenantOidc {
    const now = this.#deps.clock.nowMs();
    if (now >= entry.schedule.validFrom && now < entry.schedule.validUntil) return entry.oidc;
    return this.#build(entry.oidc.tenant.id, entry.keys).oidc;
  }

  resolve(alias: string): TenantOidc | undefined {
    const id = this.#aliases.get(alias.toLowerCase());
    const entry = id ? this.#byId.get(id) : undefined;
    return entry && this.#current(entry);
  }

  list(): TenantOidc[] {
    return [...this.#byId.values()].map((entry) => this.#current(entry));
  }

  /**
   * A new signing key for the tenant, published now and signing from `activateAt` (now when absent);
   * the previous key stays published until the tokens it signed have expired (server/oidc/keys.ts).
   */
  async rotateKeys(tenantId: string, options: { activateAt?: Date } = {}): Promise<RotationResult & { signing: string; published: string[] }> {
    const result = await rotateSigningKeys(this.#deps.db, tenantId, this.#deps.clock, options.activateAt);
    const { schedule } = this.#build(tenantId, readSigningKeys(this.#deps.db, tenantId));
    return { ...result, signing: schedule.signing.kid, published: schedule.published.map((k) => k.kid) };
  }
}
