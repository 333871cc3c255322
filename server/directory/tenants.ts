import type { Db } from '../db/connection.js';

export interface Branding {
  signInPageText?: string;
  backgroundColor?: string;
  bannerLogoUrl?: string;
}

export interface Tenant {
  id: string;
  subdomain: string;
  defaultDomain: string;
  displayName: string;
  b2cExtensionsAppId: string | null;
  branding: Branding;
  /** keys oidc-provider signs its cookies with; made at first start, kept so sessions survive restarts */
  cookieKeys: string[];
  /** one-time codes fixed per email address (fixtures), so tests know them in advance */
  fixedCodes: Record<string, string>;
}

interface TenantRow {
  id: string;
  subdomain: string;
  default_domain: string;
  display_name: string;
  b2c_extensions_app_id: string | null;
  branding_json: string;
  cookie_keys_json: string;
  fixed_codes_json: string;
}

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  subdomain: r.subdomain,
  defaultDomain: r.default_domain,
  displayName: r.display_name,
  b2cExtensionsAppId: r.b2c_extensions_app_id,
  branding: JSON.parse(r.branding_json) as Branding,
  cookieKeys: JSON.parse(r.cookie_keys_json) as string[],
  fixedCodes: JSON.parse(r.fixed_codes_json) as Record<string, string>,
});

export type TenantInput = Omit<Tenant, 'cookieKeys'>;

export class TenantRepository {
  readonly #all;
  readonly #get;
  readonly #alias;
  readonly #upsert;

  constructor(db: Db) {
    this.#all = db.prepare<[], TenantRow>('SELECT * FROM tenants ORDER BY created_at, id');
    this.#get = db.prepare<[string], TenantRow>('SELECT * FROM tenants WHERE id = ?');
    this.#alias = db.prepare<[string, string, string], TenantRow>(
      'SELECT * FROM tenants WHERE id = lower(?) OR subdomain = ? OR default_domain = ?',
    );
    this.#upsert = db.prepare(`
      INSERT INTO tenants (id, subdomain, default_domain, display_name, b2c_extensions_app_id, branding_json, cookie_keys_json, fixed_codes_json, created_at)
      VALUES (@id, @subdomain, @defaultDomain, @displayName, @b2cExtensionsAppId, @branding, @cookieKeys, @fixedCodes, @now)
      ON CONFLICT (id) DO UPDATE SET subdomain = excluded.subdomain, default_domain = excluded.default_domain,
        display_name = excluded.display_name, b2c_extensions_app_id = excluded.b2c_extensions_app_id,
        branding_json = excluded.branding_json, fixed_codes_json = excluded.fixed_codes_json`);
  }

  list(): Tenant[] {
    return this.#all.all().map(toTenant);
  }

  get(id: string): Tenant | undefined {
    const row = this.#get.get(id);
    return row && toTenant(row);
  }

  /** The tenant segment of a URL: its GUID, `contoso` or `contoso.onmicrosoft.com`, in any case. */
  findByAlias(alias: string): Tenant | undefined {
    const row = this.#alias.get(alias, alias, alias);
    return row && toTenant(row);
  }

  /** Creates or updates a tenant; cookie keys are made once and never replaced. */
  upsert(t: TenantInput, now: number, newCookieKey: () => string): void {
    this.#upsert.run({
      id: t.id.toLowerCase(),
      subdomain: t.subdomain,
      defaultDomain: t.defaultDomain,
      displayName: t.displayName,
      b2cExtensionsAppId: t.b2cExtensionsAppId,
      branding: JSON.stringify(t.branding),
      cookieKeys: JSON.stringify([newCookieKey()]),
      fixedCodes: JSON.stringify(Object.fromEntries(Object.entries(t.fixedCodes).map(([k, v]) => [k.toLowerCase(), v]))),
      now,
    });
  }
}
