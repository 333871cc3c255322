import type { Db } from '../db/connection.js';
import type { Tenant } from './tenants.js';
import type { UserProfile } from './users.js';

/**
 * User attributes as External ID defines them (learn.microsoft.com/entra/external-id/customers/
 * concept-user-attributes): built-in ones stored on the user, custom ones stored as extension
 * properties of the b2c-extensions-app, named extension_<appId without hyphens>_<name>.
 */
export type DataType = 'string' | 'boolean' | 'int64';

export interface AttributeDefinition {
  /** the Graph property name: `city`, or `extension_…_loyaltyNumber` */
  id: string;
  displayName: string;
  dataType: DataType;
  kind: 'builtIn' | 'custom';
  maxLength?: number;
}

/** Built-in attributes a user flow can collect, with their Graph names and length limits. */
export const BUILT_IN_ATTRIBUTES: Record<string, AttributeDefinition & { column: keyof UserProfile }> = {
  displayName: { id: 'displayName', displayName: 'Display Name', dataType: 'string', kind: 'builtIn', maxLength: 256, column: 'displayName' },
  givenName: { id: 'givenName', displayName: 'Given Name', dataType: 'string', kind: 'builtIn', maxLength: 64, column: 'givenName' },
  surname: { id: 'surname', displayName: 'Surname', dataType: 'string', kind: 'builtIn', maxLength: 64, column: 'surname' },
  country: { id: 'country', displayName: 'Country/Region', dataType: 'string', kind: 'builtIn', maxLength: 128, column: 'country' },
  city: { id: 'city', displayName: 'City', dataType: 'string', kind: 'builtIn', maxLength: 128, column: 'city' },
  state: { id: 'state', displayName: 'State/Province', dataType: 'string', kind: 'builtIn', maxLength: 128, column: 'state' },
  postalCode: { id: 'postalCode', displayName: 'Postal Code', dataType: 'string', kind: 'builtIn', maxLength: 40, column: 'postalCode' },
  streetAddress: { id: 'streetAddress', displayName: 'Street Address', dataType: 'string', kind: 'builtIn', maxLength: 1024, column: 'streetAddress' },
  jobTitle: { id: 'jobTitle', displayName: 'Job Title', dataType: 'string', kind: 'builtIn', maxLength: 128, column: 'jobTitle' },
  companyName: { id: 'companyName', displayName: 'Company Name', dataType: 'string', kind: 'builtIn', maxLength: 64, column: 'companyName' },
};

/** `extension_<b2c-extensions-app id without hyphens>_<name>` (Graph's name for a custom attribute). */
export function extensionAttributeId(b2cExtensionsAppId: string, name: string): string {
  return `extension_${b2cExtensionsAppId.replace(/-/g, '')}_${name}`;
}

export type AttributeValue = string | boolean | number;

interface CustomRow { id: string; display_name: string; data_type: DataType }

export class AttributeRepository {
  readonly #custom;
  readonly #upsertCustom;
  readonly #values;
  readonly #putValue;

  constructor(db: Db) {
    this.#custom = db.prepare<[string], CustomRow>('SELECT id, display_name, data_type FROM custom_attributes WHERE tenant_id = ? ORDER BY created_at, id');
    this.#upsertCustom = db.prepare(`INSERT INTO custom_attributes (tenant_id, id, name, display_name, description, data_type, created_at)
      VALUES (@tenantId, @id, @name, @displayName, @description, @dataType, @now)
      ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = excluded.display_name, description = excluded.description`);
    this.#values = db.prepare<[string, string], { attribute_id: string; value_json: string }>(
      'SELECT attribute_id, value_json FROM user_extension_values WHERE tenant_id = ? AND user_id = ?');
    this.#putValue = db.prepare(`INSERT INTO user_extension_values (tenant_id, user_id, attribute_id, value_json) VALUES (?, ?, ?, ?)
      ON CONFLICT (tenant_id, user_id, attribute_id) DO UPDATE SET value_json = excluded.value_json`);
  }

  /** Every attribute the tenant knows: the built-in ones and its custom ones. */
  definitions(tenantId: string): Map<string, AttributeDefinition> {
    const all = new Map<string, AttributeDefinition>(Object.entries(BUILT_IN_ATTRIBUTES));
    for (const r of this.#custom.all(tenantId)) all.set(r.id, { id: r.id, displayName: r.display_name, dataType: r.data_type, kind: 'custom', maxLength: 256 });
    return all;
  }

  upsertCustom(tenant: Tenant, a: { name: string; displayName: string; description?: string | undefined; dataType: DataType }, now: number): string {
    if (!tenant.b2cExtensionsAppId) throw new Error(`tenant ${tenant.id} has no b2cExtensionsAppId for custom attributes`);
    const id = extensionAttributeId(tenant.b2cExtensionsAppId, a.name);
    this.#upsertCustom.run({ tenantId: tenant.id, id, name: a.name, displayName: a.displayName, description: a.description ?? null, dataType: a.dataType, now });
    return id;
  }

  extensionValues(tenantId: string, userId: string): Record<string, AttributeValue> {
    return Object.fromEntries(this.#values.all(tenantId, userId).map((r) => [r.attribute_id, JSON.parse(r.value_json) as AttributeValue]));
  }

  setExtensionValue(tenantId: string, userId: string, attributeId: string, value: AttributeValue): void {
    this.#putValue.run(tenantId, userId, attributeId, JSON.stringify(value));
  }
}

/** The built-in profile fields among attribute values (all of them, null where absent). */
export function profileFrom(values: Record<string, AttributeValue>): Omit<UserProfile, 'mail'> {
  const profile = {} as Record<keyof UserProfile, string | null>;
  for (const a of Object.values(BUILT_IN_ATTRIBUTES)) {
    const v = values[a.id];
    profile[a.column] = typeof v === 'string' ? v : null;
  }
  const { mail: _mail, ...rest } = profile;
  return rest;
}
