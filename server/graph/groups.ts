import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Group, Tenant } from '../directory/index.js';
import { callerOf, readOrWrite, requirePermission } from './auth.js';
import { GraphError, badRequest, notFound } from './errors.js';
import { queryOptions } from './odata.js';
import type { GraphDeps } from './routes.js';
import { DEFAULT_USER_PROPERTIES, checkUserSelect, findUserOr404, projectUser, userEntity } from './user-model.js';

const GROUP_PROPERTIES = ['id', 'displayName', 'description', 'mailNickname', 'mailEnabled', 'securityEnabled', 'groupTypes', 'createdDateTime', 'mail', 'visibility'];

export function groupEntity(g: Group): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.group',
    id: g.id, displayName: g.displayName, description: g.description, mailNickname: g.mailNickname, mailEnabled: g.mailEnabled,
    securityEnabled: g.securityEnabled, groupTypes: [], createdDateTime: new Date(g.createdAt).toISOString().replace(/\.\d+Z$/, 'Z'),
    mail: null, visibility: null,
  };
}

function project(g: Group, select: string[] | undefined): Record<string, unknown> {
  const e = groupEntity(g);
  if (!select) return e;
  for (const p of select) if (!GROUP_PROPERTIES.includes(p)) throw badRequest(`Could not find a property named '${p}' on type 'microsoft.graph.group'.`);
  return Object.fromEntries(select.map((k) => [k, e[k] ?? null]));
}

/** Reads `{"@odata.id":".../directoryObjects/{id}"}` (or `/users/{id}`) into the object id. */
function refTarget(body: unknown): string {
  const ref = (body as { '@odata.id'?: unknown } | null)?.['@odata.id'];
  if (typeof ref !== 'string') throw badRequest("The request body must contain '@odata.id'.");
  const m = /\/(?:directoryObjects|users)\/([^/?#]+)$/.exec(ref) ?? /^([0-9a-f-]{36})$/i.exec(ref);
  if (!m) throw badRequest(`Invalid object identifier '${ref}'.`);
  return decodeURIComponent(m[1]!);
}

export function groupRoutes(app: FastifyInstance, deps: GraphDeps): void {
  const { directory: d, clock, random, graphBase } = deps;
  const groupOr404 = (tenant: Tenant, id: string) => {
    const g = d.groups.get(tenant.id, id);
    if (!g) throw notFound(id);
    return g;
  };
  const read = (req: FastifyRequest) => { const c = callerOf(req); requirePermission(c, readOrWrite('Group', false)); return c; };
  const write = (req: FastifyRequest) => { const c = callerOf(req); requirePermission(c, readOrWrite('Group', true)); return c; };

  function readGroupBody(body: unknown, creating: boolean) {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.');
    const out: Partial<Pick<Group, 'displayName' | 'description' | 'mailNickname' | 'mailEnabled' | 'securityEnabled'>> = {};
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (k === 'displayName' || k === 'mailNickname' || k === 'description') {
        if (typeof v !== 'string' && !(k === 'description' && v === null)) throw badRequest(`Invalid value for property '${k}'.`);
        out[k] = v as string;
      } else if (k === 'mailEnabled' || k === 'securityEnabled') {
        if (typeof v !== 'boolean') throw badRequest(`Invalid value for property '${k}'.`);
        out[k] = v;
      } else if (k === 'groupTypes') {
        if (!Array.isArray(v) || v.length) throw badRequest("ciam-emulator supports security groups only: 'groupTypes' must be empty.");
      } else if (k === '@odata.type') {
        continue;
      } else {
        throw badRequest(`Property '${k}' is not supported by ciam-emulator (or does not exist on type 'microsoft.graph.group').`);
      }
    }
    if (creating) {
      for (const req of ['displayName', 'mailNickname', 'mailEnabled', 'securityEnabled'] as const) {
        if (out[req] === undefined) throw badRequest(`Invalid value specified for property '${req}' of resource 'Group'.`);
      }
      if (out.mailEnabled) throw badRequest('ciam-emulator supports security groups only: mailEnabled must be false.');
    }
    if (out.displayName === '') throw badRequest("Invalid value specified for property 'displayName' of resource 'Group'.");
    return out;
  }

  app.post('/v1.0/groups', async (req, reply) => {
    const caller = write(req);
    queryOptions(req, []);
    const b = readGroupBody(req.body, true);
    const id = random.uuid();
    d.groups.upsert(caller.tenant.id, { id, displayName: b.displayName!, description: b.description ?? null, mailNickname: b.mailNickname!,
      mailEnabled: false, securityEnabled: b.securityEnabled! }, clock.nowMs());
    return reply.code(201).header('location', `${graphBase}/groups/${id}`)
      .send({ '@odata.context': `${graphBase}/$metadata#groups/$entity`, ...groupEntity(d.groups.get(caller.tenant.id, id)!) });
  });

  app.get('/v1.0/groups', async (req) => {
    const caller = read(req);
    const q = queryOptions(req, ['$select']);
    return { '@odata.context': `${graphBase}/$metadata#groups`, value: d.groups.list(caller.tenant.id).map((g) => project(g, q.select)) };
  });

  app.get('/v1.0/groups/:id', async (req) => {
    const caller = read(req);
    const q = queryOptions(req, ['$select']);
    return { '@odata.context': `${graphBase}/$metadata#groups/$entity`, ...project(groupOr404(caller.tenant, (req.params as { id: string }).id), q.select) };
  });

  app.patch('/v1.0/groups/:id', async (req, reply) => {
    const caller = write(req);
    const g = groupOr404(caller.tenant, (req.params as { id: string }).id);
    const b = readGroupBody(req.body, false);
    if (b.mailEnabled) throw badRequest('ciam-emulator supports security groups only: mailEnabled must be false.');
    d.groups.upsert(caller.tenant.id, { ...g, ...b }, clock.nowMs());
    return reply.code(204).send();
  });

  app.delete('/v1.0/groups/:id', async (req, reply) => {
    const caller = write(req);
    const g = groupOr404(caller.tenant, (req.params as { id: string }).id);
    d.groups.delete(caller.tenant.id, g.id);
    return reply.code(204).send();
  });

  app.get('/v1.0/groups/:id/members', async (req) => {
    const caller = read(req);
    requirePermission(caller, readOrWrite('User', false).concat(readOrWrite('Group', false)));
    const q = queryOptions(req, ['$select']);
    checkUserSelect(q.select, d.attributes.definitions(caller.tenant.id));
    const g = groupOr404(caller.tenant, (req.params as { id: string }).id);
    const value = d.groups.memberIds(caller.tenant.id, g.id).map((id) => ({
      '@odata.type': '#microsoft.graph.user',
      ...projectUser(userEntity(d, caller.tenant, d.users.findById(caller.tenant.id, id)!), q.select ?? DEFAULT_USER_PROPERTIES),
    }));
    return { '@odata.context': `${graphBase}/$metadata#directoryObjects`, value };
  });

  app.post('/v1.0/groups/:id/members/$ref', async (req, reply) => {
    const caller = write(req);
    const g = groupOr404(caller.tenant, (req.params as { id: string }).id);
    const target = refTarget(req.body);
    const user = d.users.findById(caller.tenant.id, target);
    if (!user) throw notFound(target);
    if (!d.groups.addMember(caller.tenant.id, g.id, user.id)) {
      throw new GraphError(400, 'Request_BadRequest', 'One or more added object references already exist for the following modified properties: \'members\'.');
    }
    return reply.code(204).send();
  });

  app.delete('/v1.0/groups/:id/members/:memberId/$ref', async (req, reply) => {
    const caller = write(req);
    const { id, memberId } = req.params as { id: string; memberId: string };
    const g = groupOr404(caller.tenant, id);
    if (!d.groups.removeMember(caller.tenant.id, g.id, memberId.toLowerCase())) throw notFound(memberId);
    return reply.code(204).send();
  });

  app.get('/v1.0/users/:id/memberOf', async (req) => {
    const caller = callerOf(req);
    requirePermission(caller, readOrWrite('User', false).concat(readOrWrite('Group', false)));
    const q = queryOptions(req, ['$select']);
    const user = findUserOr404(d, caller.tenant, (req.params as { id: string }).id);
    return { '@odata.context': `${graphBase}/$metadata#directoryObjects`,
      value: d.groups.memberOf(caller.tenant.id, user.id).map((g) => ({ '@odata.type': '#microsoft.graph.group', ...project(g, q.select) })) };
  });
}
