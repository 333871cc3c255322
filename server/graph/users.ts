import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Directory, Tenant, User } from '../directory/index.js';
import { IdentityTakenError } from '../directory/users.js';
import type { AttributeDefinition, AttributeValue } from '../directory/attributes.js';
import { PROFILE_COLUMNS, type UserCondition } from '../directory/user-admin.js';
import type { UserProfile } from '../directory/users.js';
import { passwordProblem } from '../flows/password-policy.js';
import { callerOf, readOrWrite, requirePermission } from './auth.js';
import { GraphError, badRequest, notFound } from './errors.js';
import { FilterError, parseFilter, type Clause } from './filter.js';
import { queryOptions, requireEventual, skiptoken } from './odata.js';
import type { GraphDeps } from './routes.js';

/** Graph's default user properties (what GET /users returns without $select). */
import { DEFAULT_USER_PROPERTIES, upn, userEntity, checkUserSelect, projectUser, resolveUserKey, findUserOr404, clausesToSql, readUserBody, conflict, type UserChanges, readIdentities, PROFILE_KEYS } from './user-model.js';

export function userRoutes(app: FastifyInstance, deps: GraphDeps): void {
  const { directory: d, clock, random, graphBase } = deps;

  /**
   * Writes a POST or PATCH in one transaction, after the only slow part (hashing the password) is
   * done: a request that fails or is interrupted leaves nothing half-written. Identity uniqueness is
   * the database's (the identities primary key), so of two concurrent requests claiming one email
   * one wins and the other gets Graph's ObjectConflict, never a 500.
   */
  async function prepare(ch: UserChanges): Promise<string | undefined> {
    return ch.password ? deps.hasher.hash(ch.password.password) : undefined;
  }

  function write(tenant: Tenant, userId: string, ch: UserChanges, passwordHash: string | undefined, create?: () => void): void {
    try {
      d.userAdmin.transaction(() => {
        create?.();
        d.userAdmin.updateProfile(tenant.id, userId, ch.profile);
        if (ch.accountEnabled !== undefined) d.userAdmin.setAccountEnabled(tenant.id, userId, ch.accountEnabled);
        if (ch.identities) d.userAdmin.replaceIdentities(tenant.id, userId, ch.identities);
        if (ch.passwordPolicies !== undefined) d.userAdmin.setPasswordPolicies(tenant.id, userId, ch.passwordPolicies);
        if (passwordHash && ch.password) {
          d.users.setPassword(tenant.id, userId, passwordHash, clock.nowMs());
          d.userAdmin.setForceChangePassword(tenant.id, userId, ch.password.forceChange);
        }
        for (const [attr, value] of Object.entries(ch.extensions)) {
          if (value === null) d.userAdmin.deleteExtensionValue(tenant.id, userId, attr);
          else d.attributes.setExtensionValue(tenant.id, userId, attr, value);
        }
      });
    } catch (e) {
      if (e instanceof IdentityTakenError) throw conflict('identities');
      throw e;
    }
  }

  app.post('/v1.0/users', async (req, reply) => {
    const caller = callerOf(req);
    requirePermission(caller, ['User.ReadWrite.All', 'User.Create']);
    queryOptions(req, []);
    const tenant = caller.tenant;
    const defs = d.attributes.definitions(tenant.id);
    const ch = readUserBody(req.body, tenant, defs);
    if (!ch.profile.displayName) throw badRequest("Invalid value specified for property 'displayName' of resource 'User'.");
    if (!ch.identities?.length) {
      throw badRequest("ciam-emulator creates customer users only: 'identities' with an emailAddress or userName identity is required.");
    }
    const local = ch.identities.some((i) => i.signInType === 'emailAddress' || i.signInType === 'userName');
    if (local && !ch.password) throw badRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.");
    const passwordHash = await prepare(ch);
    const id = random.uuid();
    const profile = Object.fromEntries(PROFILE_KEYS.map((k) => [k, ch.profile[k] ?? null])) as Record<keyof UserProfile, string | null>;
    // The user row, its identities, password and extension values: all in the one transaction.
    write(tenant, id, { ...ch, profile: {} }, passwordHash, () => d.users.upsert(tenant.id, {
      ...profile, id, accountEnabled: ch.accountEnabled ?? true, userType: 'Member', creationType: 'LocalAccount',
      passwordHash: null, forceChangePassword: false, identities: [],
    }, clock.nowMs()));
    const user = d.users.findById(tenant.id, id)!;
    return reply.code(201).header('location', `${graphBase}/users/${id}`)
      .send({ '@odata.context': `${graphBase}/$metadata#users/$entity`, ...projectUser(userEntity(d, tenant, user), undefined) });
  });

  app.get('/v1.0/users', async (req) => {
    const caller = callerOf(req);
    requirePermission(caller, readOrWrite('User', false));
    return listUsers(req, caller.tenant, false);
  });

  function listUsers(req: FastifyRequest, tenant: Tenant, deleted: boolean) {
    const q = queryOptions(req, ['$select', '$filter', '$top', '$skiptoken', '$count', '$orderby']);
    const defs = d.attributes.definitions(tenant.id);
    checkUserSelect(q.select, defs);
    let conditions: UserCondition[] = [];
    if (q.filter !== undefined) {
      try {
        conditions = clausesToSql(parseFilter(q.filter), tenant, defs);
      } catch (e) {
        if (e instanceof FilterError) throw new GraphError(400, 'Request_UnsupportedQuery', `Invalid filter clause: ${e.message}`);
        throw e;
      }
    }
    let orderBy: 'id' | 'displayName' = 'id';
    if (q.orderby !== undefined) {
      if (!/^displayName( asc)?$/.test(q.orderby)) throw new GraphError(400, 'Request_UnsupportedQuery', `Sorting by '${q.orderby}' is not supported by ciam-emulator; only '$orderby=displayName' is.`);
      orderBy = 'displayName';
    }
    // a nextLink (it carries $skiptoken) came from a request that had the header; clients follow it bare
    if (q.count && !q.skiptoken) requireEventual(req, '$count');
    const top = q.top ?? 100;
    const after = q.skiptoken ? skiptoken.decode(q.skiptoken) : undefined;
    if (deleted) d.userAdmin.purgeExpired(tenant.id, clock.nowMs());
    const rows = d.userAdmin.list(tenant.id, { conditions, orderBy, after, limit: top + 1, deleted });
    const page = rows.slice(0, top);
    const value = page.map((r) => {
      const u = deleted ? d.users.findByIdIncludingDeleted(tenant.id, r.id)! : d.users.findById(tenant.id, r.id)!;
      return projectUser(userEntity(d, tenant, u), q.select ?? (deleted ? [...DEFAULT_USER_PROPERTIES, 'deletedDateTime'] : undefined));
    });
    const path = deleted ? 'directory/deletedItems/microsoft.graph.user' : 'users';
    const body: Record<string, unknown> = {
      '@odata.context': `${graphBase}/$metadata#${deleted ? 'users' : 'users'}${q.select ? `(${q.select.join(',')})` : ''}`,
    };
    if (q.count) body['@odata.count'] = d.userAdmin.count(tenant.id, { conditions, deleted });
    if (rows.length > top) {
      const last = page[page.length - 1]!;
      // `$` kept literal in option names, as Graph's own nextLinks do (the SDK reads them back).
      const params = Object.entries(req.query as Record<string, string>).filter(([k]) => k !== '$skiptoken')
        .map(([k, v]) => `${encodeURIComponent(k).replace(/%24/g, '$')}=${encodeURIComponent(v)}`);
      params.push(`$skiptoken=${skiptoken.encode({ key: last.key, id: last.id })}`);
      body['@odata.nextLink'] = `${graphBase}/${path}?${params.join('&')}`;
    }
    body.value = value;
    return body;
  }

  const getOne = (selfOnly: boolean) => async (req: FastifyRequest) => {
    const caller = callerOf(req);
    let user: User;
    if (selfOnly) {
      if (!caller.userId) throw badRequest("/me request is only valid with delegated authentication flow.");
      requirePermission(caller, ['User.Read', 'User.ReadWrite', ...readOrWrite('User', false)]);
      user = findUserOr404(d, caller.tenant, caller.userId);
    } else {
      requirePermission(caller, readOrWrite('User', false));
      user = findUserOr404(d, caller.tenant, (req.params as { id: string }).id);
    }
    const q = queryOptions(req, ['$select']);
    checkUserSelect(q.select, d.attributes.definitions(caller.tenant.id));
    return {
      '@odata.context': `${graphBase}/$metadata#users${q.select ? `(${q.select.join(',')})` : ''}/$entity`,
      ...projectUser(userEntity(d, caller.tenant, user), q.select),
    };
  };
  app.get('/v1.0/me', getOne(true));
  app.get('/v1.0/users/:id', getOne(false));

  app.patch('/v1.0/users/:id', async (req, reply: FastifyReply) => {
    const caller = callerOf(req);
    requirePermission(caller, readOrWrite('User', true));
    queryOptions(req, []);
    const user = findUserOr404(d, caller.tenant, (req.params as { id: string }).id);
    const ch = readUserBody(req.body, caller.tenant, d.attributes.definitions(caller.tenant.id));
    if (ch.profile.displayName === null || ch.profile.displayName === '') throw badRequest("Invalid value specified for property 'displayName' of resource 'User'.");
    write(caller.tenant, user.id, ch, await prepare(ch));
    return reply.code(204).send();
  });

  app.delete('/v1.0/users/:id', async (req, reply) => {
    const caller = callerOf(req);
    requirePermission(caller, readOrWrite('User', true));
    queryOptions(req, []);
    const user = findUserOr404(d, caller.tenant, (req.params as { id: string }).id);
    d.userAdmin.softDelete(caller.tenant.id, user.id, clock.nowMs());
    return reply.code(204).send();
  });

  app.post('/v1.0/users/:id/revokeSignInSessions', async (req) => {
    const caller = callerOf(req);
    requirePermission(caller, readOrWrite('User', true));
    const user = findUserOr404(d, caller.tenant, (req.params as { id: string }).id);
    d.userAdmin.revokeSessions(caller.tenant.id, user.id, clock.nowMs());
    return { '@odata.context': `${graphBase}/$metadata#Edm.Boolean`, value: true };
  });

  // Deleted items (users only): 30 days, then gone.
  app.get('/v1.0/directory/deletedItems/microsoft.graph.user', async (req) => {
    const caller = callerOf(req);
    requirePermission(caller, readOrWrite('User', false));
    return listUsers(req, caller.tenant, true);
  });

  const deletedUserOr404 = (tenant: Tenant, id: string) => {
    d.userAdmin.purgeExpired(tenant.id, clock.nowMs());
    const u = d.users.findByIdIncludingDeleted(tenant.id, id);
    if (!u || u.deletedAt === null) throw notFound(id);
    return u;
  };
  for (const path of ['/v1.0/directory/deletedItems/:id', '/v1.0/directory/deletedItems/microsoft.graph.user/:id']) {
    app.get(path, async (req) => {
      const caller = callerOf(req);
      requirePermission(caller, readOrWrite('User', false));
      const q = queryOptions(req, ['$select']);
      checkUserSelect(q.select, d.attributes.definitions(caller.tenant.id));
      const u = deletedUserOr404(caller.tenant, (req.params as { id: string }).id);
      return { '@odata.context': `${graphBase}/$metadata#directoryObjects/$entity`, '@odata.type': '#microsoft.graph.user',
        ...projectUser(userEntity(d, caller.tenant, u), q.select ?? [...DEFAULT_USER_PROPERTIES, 'deletedDateTime']) };
    });
    app.delete(path, async (req, reply) => {
      const caller = callerOf(req);
      requirePermission(caller, readOrWrite('User', true));
      const u = deletedUserOr404(caller.tenant, (req.params as { id: string }).id);
      d.userAdmin.purge(caller.tenant.id, u.id);
      return reply.code(204).send();
    });
    app.post(`${path}/restore`, async (req) => {
      const caller = callerOf(req);
      requirePermission(caller, readOrWrite('User', true));
      const u = deletedUserOr404(caller.tenant, (req.params as { id: string }).id);
      d.userAdmin.restore(caller.tenant.id, u.id);
      const restored = d.users.findById(caller.tenant.id, u.id)!;
      return { '@odata.context': `${graphBase}/$metadata#directoryObjects/$entity`, '@odata.type': '#microsoft.graph.user',
        ...projectUser(userEntity(d, caller.tenant, restored), undefined) };
    });
  }

}
