import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/connection.js';
import type { Clock, Random } from '../clock.js';
import type { Directory } from '../directory/index.js';
import type { PasswordHasher } from '../directory/passwords.js';
import type { Mailer } from '../mail/mailer.js';
import type { Views } from '../http/views.js';
import { createStrings } from '../http/strings.js';
import type { TenantRegistry } from '../oidc/registry.js';
import { createCodeService, type CodeSettings } from './codes.js';
import { TransactionRepository } from './transactions.js';
import { createSignInService } from './sign-in/service.js';
import { signInRoutes } from './sign-in/routes.js';
import { createSignUpService } from './sign-up/service.js';
import { signUpRoutes } from './sign-up/routes.js';
import { createPasswordResetService } from './password-reset/service.js';
import { passwordResetRoutes } from './password-reset/routes.js';
import { createEmailCodeSignInService } from './email-code/service.js';
import { emailCodeRoutes } from './email-code/routes.js';
import type { FlowDeps } from './flow-deps.js';
import type { Toolkit } from './step-page.js';

export interface UserFlowDeps {
  db: Db;
  directory: Directory;
  registry: TenantRegistry;
  views: Views;
  mailer: Mailer;
  hasher: PasswordHasher;
  clock: Clock;
  random: Random;
  codes: CodeSettings;
  toolkit: Toolkit;
}

/** The user-flow services (shared by every front end) and their hosted pages. */
export function createUserFlows(deps: UserFlowDeps) {
  const flowDeps: FlowDeps = {
    db: deps.db, directory: deps.directory, mailer: deps.mailer, hasher: deps.hasher, clock: deps.clock, random: deps.random,
    transactions: new TransactionRepository(deps.db, deps.clock, deps.random),
    codes: createCodeService(deps.db, deps.clock, deps.codes),
  };
  const services = {
    signIn: createSignInService(flowDeps),
    signUp: createSignUpService(flowDeps),
    passwordReset: createPasswordResetService(flowDeps),
    emailCode: createEmailCodeSignInService(flowDeps),
  };
  const pageDeps = { registry: deps.registry, directory: deps.directory, views: deps.views, stringsFor: createStrings(), toolkit: deps.toolkit };
  return {
    services,
    /** the hosted pages, registered in the HTML surface's scope */
    routes(pages: FastifyInstance) {
      signInRoutes(pages, { ...pageDeps, signIn: services.signIn, passwordReset: services.passwordReset });
      signUpRoutes(pages, { ...pageDeps, signUp: services.signUp });
      passwordResetRoutes(pages, { ...pageDeps, passwordReset: services.passwordReset });
      emailCodeRoutes(pages, { ...pageDeps, emailCode: services.emailCode });
    },
  };
}
