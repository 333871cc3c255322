import type { Db } from '../db/connection.js';
import { ApplicationRepository } from './applications.js';
import { TenantRepository } from './tenants.js';
import { UserRepository } from './users.js';

/** The tenant directory: the one source of truth the sign-in pages, OIDC and (later) Graph share. */
export interface Directory {
  tenants: TenantRepository;
  applications: ApplicationRepository;
  users: UserRepository;
}

export function createDirectory(db: Db): Directory {
  return {
    tenants: new TenantRepository(db),
    applications: new ApplicationRepository(db),
    users: new UserRepository(db),
  };
}

export type { Application } from './applications.js';
export type { Tenant } from './tenants.js';
export type { User, Identity } from './users.js';
