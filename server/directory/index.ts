import type { Db } from '../db/connection.js';
import { ApplicationRepository } from './applications.js';
import { TenantRepository } from './tenants.js';
import { UserRepository } from './users.js';
import { AttributeRepository } from './attributes.js';
import { UserFlowRepository } from './user-flows.js';

/** The tenant directory: the one source of truth the sign-in pages, OIDC and (later) Graph share. */
export interface Directory {
  tenants: TenantRepository;
  applications: ApplicationRepository;
  users: UserRepository;
  attributes: AttributeRepository;
  userFlows: UserFlowRepository;
}

export function createDirectory(db: Db): Directory {
  return {
    tenants: new TenantRepository(db),
    applications: new ApplicationRepository(db),
    users: new UserRepository(db),
    attributes: new AttributeRepository(db),
    userFlows: new UserFlowRepository(db),
  };
}

export type { Application } from './applications.js';
export type { Tenant } from './tenants.js';
export type { User, Identity } from './users.js';
export type { UserFlow, FlowInput } from './user-flows.js';
