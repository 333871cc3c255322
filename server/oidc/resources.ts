import type { Application, Directory } from '../directory/index.js';
import { AadError } from '../errors.js';

/**
 * How Entra reads a `scope` parameter: OIDC scopes, plus resource scopes written as
 * `<resource>/<name>` where <resource> is an identifier URI (`api://…`), an app id GUID or
 * `https://graph.microsoft.com`; a bare name (`User.Read`) means Microsoft Graph. One token serves
 * one resource, so scopes naming two resources fail (AADSTS700022).
 */
export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const GRAPH_URIS = ['https://graph.microsoft.com', 'https://graph.microsoft.com/', GRAPH_APP_ID];

/** Microsoft Graph as a resource: the delegated scopes and app roles an External ID tenant can grant. */
const GRAPH: ResourceApp = {
  appId: GRAPH_APP_ID,
  displayName: 'Microsoft Graph',
  identifierUris: ['https://graph.microsoft.com'],
  scopeNames: ['User.Read', 'User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All'],
  roleNames: ['User.Read.All', 'User.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Application.Read.All',
    'Application.ReadWrite.All', 'IdentityUserFlow.Read.All', 'IdentityUserFlow.ReadWrite.All', 'EventListener.ReadWrite.All'],
  accessTokenVersion: 2,
  bareScopes: true,
};

export interface ResourceApp {
  appId: string;
  displayName: string;
  identifierUris: string[];
  scopeNames: string[];
  roleNames: string[];
  accessTokenVersion: 1 | 2;
  /** Graph alone accepts scopes without a resource prefix */
  bareScopes?: boolean;
}

export interface ResolvedScopes {
  /** the scope parameter with each resource scope in its registered spelling (see canonical) */
  canonical: string;
  oidc: string[];
  resource?: {
    app: ResourceApp;
    /** the scope strings as requested, in the registered case, e.g. `api://4444…/ToDoList.Read` */
    requested: string[];
  };
}

/** oidc-provider needs a resource indicator that is an absolute URI; this one names the app id. */
export const resourceIndicator = (appId: string) => `urn:ciam:resource:${appId}`;
export const appIdFromIndicator = (indicator: string) => indicator.replace(/^urn:ciam:resource:/, '');

// Registrations are cached (and replaced when they change) by the repository, so the derived resource
// view and its scope forms can be cached per registration object; each token request needs them.
const resourceViews = new WeakMap<Application, ResourceApp>();
const scopeFormsOf = new WeakMap<ResourceApp, string[]>();

export function toResourceApp(app: Application): ResourceApp {
  let view = resourceViews.get(app);
  if (!view) {
    view = buildResourceApp(app);
    resourceViews.set(app, view);
  }
  return view;
}

function buildResourceApp(app: Application): ResourceApp {
  return {
    appId: app.appId,
    displayName: app.displayName,
    identifierUris: app.identifierUris,
    scopeNames: app.scopes.map((s) => s.value),
    roleNames: app.appRoles.filter((r) => r.allowedMemberTypes.includes('Application')).map((r) => r.value),
    accessTokenVersion: app.accessTokenVersion,
  };
}

export class ResourceResolver {
  readonly #directory: Directory;
  readonly #tenantId: string;
  readonly #tenantName: string;

  constructor(directory: Directory, tenantId: string, tenantName: string) {
    this.#directory = directory;
    this.#tenantId = tenantId;
    this.#tenantName = tenantName;
  }

  /** The resource app a prefix (`api://…`, an app id, Graph's URL) names, if the tenant has it. */
  findByPrefix(prefix: string): ResourceApp | undefined {
    const p = prefix.toLowerCase();
    if (GRAPH_URIS.includes(p)) return GRAPH;
    for (const app of this.#directory.applications.list(this.#tenantId)) {
      if (app.appId === p || app.identifierUris.some((u) => u.toLowerCase().replace(/\/$/, '') === p.replace(/\/$/, ''))) {
        return toResourceApp(app);
      }
    }
    return undefined;
  }

  byAppId(appId: string): ResourceApp | undefined {
    if (appId === GRAPH_APP_ID) return GRAPH;
    const app = this.#directory.applications.findByAppId(this.#tenantId, appId);
    return app && toResourceApp(app);
  }

  /** Splits a scope parameter into OIDC scopes and at most one resource, or throws Entra's error. */
  resolve(scope: string | undefined): ResolvedScopes {
    const oidc: string[] = [];
    const canonical: string[] = [];
    const byApp = new Map<string, { app: ResourceApp; requested: string[] }>();
    for (const s of (scope ?? '').split(' ').filter(Boolean)) {
      if (OIDC_SCOPES.has(s)) {
        oidc.push(s);
        canonical.push(s);
        continue;
      }
      const slash = s.lastIndexOf('/');
      const prefix = slash > 0 ? s.slice(0, slash) : GRAPH_APP_ID;
      const name = slash > 0 ? s.slice(slash + 1) : s;
      const app = this.findByPrefix(prefix);
      if (!app) throw new AadError(500011, { resource: prefix, tenant: this.#tenantName });
      // Entra matches scope values without regard to case (ToDolist.Read finds ToDoList.Read).
      const lower = name.toLowerCase();
      if (lower !== '.default' && !app.scopeNames.some((n) => n.toLowerCase() === lower)) {
        throw new AadError(70011, { detail: `The scope '${s}' does not exist.` });
      }
      const entry = byApp.get(app.appId) ?? { app, requested: [] };
      const registered = this.canonical(app, s);
      entry.requested.push(registered);
      canonical.push(registered);
      byApp.set(app.appId, entry);
    }
    if (byApp.size > 1) throw new AadError(700022, { scope: scope ?? '' });
    const [resource] = byApp.values();
    return resource ? { canonical: canonical.join(' '), oidc, resource } : { canonical: canonical.join(' '), oidc };
  }

  /**
   * A scope value in the form the resource registered it, whatever its case: Entra answers with the
   * "corrected" case, in the token's `scp` and the response's `scope` (MSAL compares scopes without
   * regard to case for that reason). A value the resource does not know comes back unchanged.
   */
  canonical(app: ResourceApp, scope: string): string {
    const lower = scope.toLowerCase();
    return this.scopeForms(app).find((f) => f.toLowerCase() === lower) ?? scope;
  }

  /** Every way a client may write this resource's scopes (so the token's `scope` keeps the requested form). */
  scopeForms(app: ResourceApp): string[] {
    let forms = scopeFormsOf.get(app);
    if (!forms) {
      forms = this.#buildScopeForms(app);
      scopeFormsOf.set(app, forms);
    }
    return forms;
  }

  #buildScopeForms(app: ResourceApp): string[] {
    const prefixes = [...app.identifierUris, app.appId, ...(app.appId === GRAPH_APP_ID ? GRAPH_URIS : [])];
    const names = [...app.scopeNames, '.default'];
    const forms = prefixes.flatMap((p) => names.map((n) => `${p.replace(/\/$/, '')}/${n}`));
    return app.bareScopes ? [...forms, ...app.scopeNames] : forms;
  }
}

/** The short scope names (`scp`) and app roles an app was granted on a resource by admin consent. */
export function grantedOn(client: Application | undefined, resourceAppId: string): { scopes: string[]; roles: string[] } {
  const g = client?.grantedPermissions.find((p) => p.resourceAppId.toLowerCase() === resourceAppId);
  return { scopes: g?.scopes ?? [], roles: g?.roles ?? [] };
}
