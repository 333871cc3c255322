import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import type { Clock } from '../clock.js';
import type { Directory } from '../directory/index.js';
import { ensureSigningKeys } from './keys.js';
import { createTenantProvider, type TenantOidc } from './provider.js';
import type { ErrorPageRenderer } from './entra-shape.js';

export interface RegistryDeps {
  config: Config;
  db: Db;
  directory: Directory;
  clock: Clock;
  renderErrorPage: ErrorPageRenderer;
}

/**
 * The tenants this emulator serves, each with its own oidc-provider (own keys, issuer, cookies).
 * Tenant segments are resolved case-insensitively as GUID, `contoso` or `contoso.onmicrosoft.com`.
 */
export class TenantRegistry {
  readonly #deps: RegistryDeps;
  readonly #byId = new Map<string, TenantOidc>();
  readonly #aliases = new Map<string, string>();

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
    const jwks = await ensureSigningKeys(this.#deps.db, tenant.id, this.#deps.clock, config.data === ':memory:' ? config.certsDir : undefined);
    const oidc = createTenantProvider({ ...this.#deps, tenant, jwks });
    this.#byId.set(tenant.id, oidc);
    for (const alias of [tenant.id, tenant.subdomain, tenant.defaultDomain]) this.#aliases.set(alias.toLowerCase(), tenant.id);
    return oidc;
  }

  resolve(alias: string): TenantOidc | undefined {
    const id = this.#aliases.get(alias.toLowerCase());
    return id ? this.#byId.get(id) : undefined;
  }

  list(): TenantOidc[] {
    return [...this.#byId.values()];
  }
}
