import type { Db } from '../db/connection.js';
import { ApplicationRepository } from './applications.js';
import { TenantRepository } from './tenants.js';
import { UserRepository } from './users.js';
import { AttributeRepository } from './attributes.js';
import { UserFlowRepository } from './user-flows.js';
import { GroupRepository } from './groups.js';
import { UserAdminRepository } from './user-admin.js';
import { UserFlowAdminRepository } from './user-flow-admin.js';

/** The tenant directory: the one source of truth the sign-in pages, OIDC and (later) Graph share. */
export interface Directory {
  tenants: TenantRepository;
  applications: ApplicationRepository;
  users: UserRepository;
  attributes: AttributeRepository;
  userFlows: UserFlowRepository;
  /** Microsoft Graph: groups, and user administration (paging, soft delete, …) */
  groups: GroupRepository;
  userAdmin: UserAdminRepository;
  userFlowAdmin: UserFlowAdminRepository;
}

export function createDirectory(db: Db): Directory {
  return {
    tenants: new TenantRepository(db),
    applications: new ApplicationRepository(db),
    users: new UserRepository(db),
    attributes: new AttributeRepository(db),
    userFlows: new UserFlowRepository(db),
    groups: new GroupRepository(db),
    userAdmin: new UserAdminRepository(db),
    userFlowAdmin: new UserFlowAdminRepository(db),
  };
}

export type { Application } from './applications.js';
export type { Tenant } from './tenants.js';
export type { User, Identity } from './users.js';
export type { UserFlow, FlowInput } from './user-flows.js';
export type { Group } from './groups.js';
