import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tenant, UserFlow } from '../directory/index.js';
import { BUILT_IN_ATTRIBUTES } from '../directory/attributes.js';
import { callerOf, readOrWrite, requirePermission } from './auth.js';
import { GraphError, badRequest, notFound } from './errors.js';
import { queryOptions } from './odata.js';
import type { GraphDeps } from './routes.js';

/** /identity/userFlowAttributes and /identity/authenticationEventsFlows over the flows the hosted pages use. */
export function identityRoutes(app: FastifyInstance, deps: GraphDeps): void {
  const { directory: d, clock, graphBase } = deps;
  const read = (req: FastifyRequest) => { const c = callerOf(req); requirePermission(c, readOrWrite('IdentityUserFlow', false)); return c; };
  const write = (req: FastifyRequest) => { const c = callerOf(req); requirePermission(c, readOrWrite('IdentityUserFlow', true)); return c; };

  const attributes = (tenant: Tenant) => [
    { id: 'email', displayName: 'Email Address', description: 'Email address of the user', userFlowAttributeType: 'builtIn', dataType: 'string' },
    ...[...d.attributes.definitions(tenant.id).values()].map((a) => ({
      id: a.id, displayName: a.displayName, description: a.kind === 'builtIn' ? `${a.displayName} of the user` : null,
      userFlowAttributeType: a.kind, dataType: a.dataType,
    })),
  ];

  app.get('/v1.0/identity/userFlowAttributes', async (req) => {
    const caller = read(req);
    queryOptions(req, []);
    return { '@odata.context': `${graphBase}/$metadata#identity/userFlowAttributes`, value: attributes(caller.tenant) };
  });

  app.get('/v1.0/identity/userFlowAttributes/:id', async (req) => {
    const caller = read(req);
    const id = (req.params as { id: string }).id;
    const a = attributes(caller.tenant).find((x) => x.id === id);
    if (!a) throw notFound(id);
    return { '@odata.context': `${graphBase}/$metadata#identity/userFlowAttributes/$entity`, ...a };
  });

  app.post('/v1.0/identity/userFlowAttributes', async (req, reply) => {
    const caller = write(req);
    const b = req.body as { displayName?: unknown; description?: unknown; dataType?: unknown } | null;
    if (!b || typeof b.displayName !== 'string' || !/^[A-Za-z][A-Za-z0-9 ]{0,63}$/.test(b.displayName)) {
      throw badRequest("Invalid value specified for property 'displayName' of resource 'identityUserFlowAttribute'.");
    }
    if (b.dataType !== 'string' && b.dataType !== 'boolean' && b.dataType !== 'int64') {
      throw badRequest(`The dataType '${String(b.dataType)}' is not supported; use string, boolean or int64.`);
    }
    if (!caller.tenant.b2cExtensionsAppId) throw new GraphError(500, 'InternalServerError', 'The tenant has no b2c-extensions-app.');
    // "Loyalty Number" → loyaltyNumber; a one-word name keeps its case ("Hobby").
    const words = b.displayName.split(' ').filter(Boolean);
    const name = words.length === 1 ? words[0]! : words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1))).join('');
    if (BUILT_IN_ATTRIBUTES[name]) throw badRequest(`'${name}' is a built-in attribute.`);
    const defs = d.attributes.definitions(caller.tenant.id);
    const existing = [...defs.values()].find((a) => a.kind === 'custom' && a.id.endsWith(`_${name}`));
    if (existing) throw new GraphError(409, 'Request_BadRequest', `An attribute with the name '${b.displayName}' already exists.`);
    const id = d.attributes.upsertCustom(caller.tenant, {
      name, displayName: b.displayName, description: typeof b.description === 'string' ? b.description : undefined, dataType: b.dataType,
    }, clock.nowMs());
    return reply.code(201).header('location', `${graphBase}/identity/userFlowAttributes('${id}')`).send({
      '@odata.context': `${graphBase}/$metadata#identity/userFlowAttributes/$entity`, id, displayName: b.displayName,
      description: typeof b.description === 'string' ? b.description : null, userFlowAttributeType: 'custom', dataType: b.dataType,
    });
  });

  const flowEntity = (f: UserFlow) => ({
    '@odata.type': '#microsoft.graph.externalUsersSelfServiceSignUpEventsFlow',
    id: f.id, displayName: f.displayName, description: null, priority: 500,
    conditions: { applications: { includeAllApplications: false } },
    onInteractiveAuthFlowStart: { '@odata.type': '#microsoft.graph.onInteractiveAuthFlowStartExternalUsersSelfServiceSignUp', isSignUpAllowed: f.isSignUpAllowed },
    onAuthenticationMethodLoadStart: { '@odata.type': '#microsoft.graph.onAuthenticationMethodLoadStartExternalUsersSelfServiceSignUp' },
    onAttributeCollection: {
      '@odata.type': '#microsoft.graph.onAttributeCollectionExternalUsersSelfServiceSignUp',
      attributeCollectionPage: { views: [{ title: null, description: null, inputs: f.inputs.map((i) => ({
        attribute: i.attribute, label: i.label, inputType: i.inputType, defaultValue: null, hidden: false, editable: true, writeToDirectory: true,
        required: i.required, validationRegEx: i.validationRegEx ?? null, options: i.options ?? [],
      })) }] },
    },
    onAttributeCollectionStart: null, onAttributeCollectionSubmit: null, onUserCreateStart: null,
  });
  const flowOr404 = (tenant: Tenant, id: string) => {
    const f = d.userFlowAdmin.get(tenant.id, id);
    if (!f) throw notFound(id);
    return f;
  };

  app.get('/v1.0/identity/authenticationEventsFlows', async (req) => {
    const caller = read(req);
    queryOptions(req, []);
    return { '@odata.context': `${graphBase}/$metadata#identity/authenticationEventsFlows`, value: d.userFlowAdmin.list(caller.tenant.id).map(flowEntity) };
  });
  app.get('/v1.0/identity/authenticationEventsFlows/:id', async (req) => {
    const caller = read(req);
    queryOptions(req, []);
    return { '@odata.context': `${graphBase}/$metadata#identity/authenticationEventsFlows/$entity`, ...flowEntity(flowOr404(caller.tenant, (req.params as { id: string }).id)) };
  });
  app.get('/v1.0/identity/authenticationEventsFlows/:id/conditions/applications/includeApplications', async (req) => {
    const caller = read(req);
    const f = flowOr404(caller.tenant, (req.params as { id: string }).id);
    return { '@odata.context': `${graphBase}/$metadata#identity/authenticationEventsFlows('${f.id}')/conditions/applications/includeApplications`,
      value: d.userFlowAdmin.appIds(caller.tenant.id, f.id).map((appId) => ({ '@odata.type': '#microsoft.graph.authenticationConditionApplication', appId })) };
  });
  app.post('/v1.0/identity/authenticationEventsFlows/:id/conditions/applications/includeApplications', async (req, reply) => {
    const caller = write(req);
    const f = flowOr404(caller.tenant, (req.params as { id: string }).id);
    const appId = (req.body as { appId?: unknown } | null)?.appId;
    if (typeof appId !== 'string' || !d.applications.findByAppId(caller.tenant.id, appId)) throw badRequest(`Invalid value for 'appId': no application '${String(appId)}' in this tenant.`);
    const linked = d.userFlowAdmin.flowOfApp(caller.tenant.id, appId);
    if (linked && linked !== f.id) {
      throw badRequest(`The application '${appId}' is already linked to another user flow; an application can be linked to only one user flow.`);
    }
    const { tenantId: _t, ...flow } = f;
    d.userFlows.upsert(flow, caller.tenant.id, [...new Set([...d.userFlowAdmin.appIds(caller.tenant.id, f.id), appId.toLowerCase()])], clock.nowMs());
    return reply.code(201).send({ '@odata.context': `${graphBase}/$metadata#identity/authenticationEventsFlows('${f.id}')/conditions/applications/includeApplications/$entity`,
      '@odata.type': '#microsoft.graph.authenticationConditionApplication', appId: appId.toLowerCase() });
  });
  // Creates a user flow from Graph's body (graph/api/identitycontainer-post-authenticationeventsflows):
  // the same flow data the hosted pages and native auth read. Like Graph, the answer does not echo
  // the identity providers or the linked apps.
  app.post('/v1.0/identity/authenticationEventsFlows', async (req, reply) => {
    const caller = write(req);
    const flow = parseFlowBody(req.body, d.attributes.definitions(caller.tenant.id));
    if (d.userFlowAdmin.list(caller.tenant.id).some((f) => f.displayName.toLowerCase() === flow.displayName.toLowerCase())) {
      throw new GraphError(409, 'Request_BadRequest', `A user flow named '${flow.displayName}' already exists.`);
    }
    for (const appId of flow.appIds) {
      if (!d.applications.findByAppId(caller.tenant.id, appId)) throw badRequest(`Invalid value for 'appId': no application '${appId}' in this tenant.`);
      if (d.userFlowAdmin.flowOfApp(caller.tenant.id, appId)) {
        throw badRequest(`The application '${appId}' is already linked to another user flow; an application can be linked to only one user flow.`);
      }
    }
    const { appIds, ...rest } = flow;
    const id = deps.random.uuid();
    d.userFlows.upsert({ ...rest, id }, caller.tenant.id, appIds, clock.nowMs());
    const created = flowOr404(caller.tenant, id);
    return reply.code(201).header('location', `${graphBase}/identity/authenticationEventsFlows/${id}`)
      .send({ '@odata.context': `${graphBase}/$metadata#identity/authenticationEventsFlows/$entity`, ...flowEntity(created) });
  });
}

const IDENTITY_PROVIDERS = new Set(['EmailPassword-OAUTH', 'EmailOtpSignup-OAUTH']);
const INPUT_TYPES = new Set(['text', 'radioSingleSelect', 'checkboxMultiSelect', 'boolean']);

/** Reads an externalUsersSelfServiceSignUpEventsFlow body, refusing what the emulator cannot honour. */
function parseFlowBody(body: unknown, definitions: Map<string, { displayName: string; dataType: string }>) {
  const b = (body ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (b['@odata.type'] !== '#microsoft.graph.externalUsersSelfServiceSignUpEventsFlow') {
    throw badRequest("'@odata.type' must be '#microsoft.graph.externalUsersSelfServiceSignUpEventsFlow' (the only user flow type of an external tenant).");
  }
  if (typeof b.displayName !== 'string' || !b.displayName.trim() || b.displayName.length > 256) throw badRequest("Property 'displayName' is required.");
  const providers = (b.onAuthenticationMethodLoadStart?.identityProviders ?? []) as { id?: unknown }[];
  if (!Array.isArray(providers) || providers.length === 0) throw badRequest("'onAuthenticationMethodLoadStart.identityProviders' must name at least one identity provider.");
  for (const p of providers) {
    if (typeof p?.id !== 'string' || !IDENTITY_PROVIDERS.has(p.id)) {
      throw badRequest(`Identity provider '${String(p?.id)}' is not supported here; use EmailPassword-OAUTH or EmailOtpSignup-OAUTH.`);
    }
  }
  const views = b.onAttributeCollection?.attributeCollectionPage?.views ?? [];
  if (!Array.isArray(views)) throw badRequest("'onAttributeCollection.attributeCollectionPage.views' must be an array.");
  const inputs = views.flatMap((v: { inputs?: unknown }) => (Array.isArray(v?.inputs) ? v.inputs : []))
    .filter((i: { attribute?: unknown }) => i?.attribute !== 'email') // the email is the sign-up's own step
    .map((i: Record<string, unknown>) => {
      const attribute = String(i.attribute ?? '');
      const definition = definitions.get(attribute);
      if (!definition) throw badRequest(`Attribute '${attribute}' is not a user flow attribute of this tenant (see /identity/userFlowAttributes).`);
      const inputType = String(i.inputType ?? (definition.dataType === 'boolean' ? 'boolean' : 'text'));
      if (!INPUT_TYPES.has(inputType)) throw badRequest(`inputType '${inputType}' is not one of text, radioSingleSelect, checkboxMultiSelect, boolean.`);
      const options = Array.isArray(i.options) ? (i.options as { label?: unknown; value?: unknown }[]).map((o) => ({ label: String(o?.label ?? o?.value ?? ''), value: String(o?.value ?? '') })) : [];
      if ((inputType === 'radioSingleSelect' || inputType === 'checkboxMultiSelect') && options.length === 0) throw badRequest(`Attribute '${attribute}' needs options for ${inputType}.`);
      const regex = typeof i.validationRegEx === 'string' && i.validationRegEx ? i.validationRegEx : undefined;
      if (regex) {
        try { new RegExp(regex); } catch { throw badRequest(`validationRegEx of '${attribute}' is not a valid regular expression.`); }
      }
      return {
        attribute, label: typeof i.label === 'string' && i.label ? i.label : definition.displayName,
        inputType: inputType as 'text', required: i.required === true, ...(regex ? { validationRegEx: regex } : {}), ...(options.length ? { options } : {}),
      };
    });
  const apps = (b.conditions?.applications?.includeApplications ?? []) as { appId?: unknown }[];
  if (!Array.isArray(apps) || apps.some((a) => typeof a?.appId !== 'string')) throw badRequest("'conditions.applications.includeApplications' must list {appId} objects.");
  return {
    displayName: b.displayName.trim(),
    identityProviders: providers.map((p) => String(p.id)),
    isSignUpAllowed: b.onInteractiveAuthFlowStart?.isSignUpAllowed === true,
    inputs,
    appIds: apps.map((a) => String(a.appId).toLowerCase()),
  };
}
