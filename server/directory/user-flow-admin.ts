import type { Db } from '../db/connection.js';
import { toFlow, type FlowRow, type UserFlow } from './user-flows.js';

/** Reads for Microsoft Graph's /identity/authenticationEventsFlows over the same user_flows tables. */
export class UserFlowAdminRepository {
  readonly #list;
  readonly #get;
  readonly #apps;
  readonly #appFlow;

  constructor(db: Db) {
    this.#list = db.prepare<[string], FlowRow>('SELECT * FROM user_flows WHERE tenant_id = ? ORDER BY created_at, id');
    this.#get = db.prepare<[string, string], FlowRow>('SELECT * FROM user_flows WHERE tenant_id = ? AND id = lower(?)');
    this.#apps = db.prepare<[string, string], { app_id: string }>('SELECT app_id FROM user_flow_apps WHERE tenant_id = ? AND flow_id = ? ORDER BY app_id');
    this.#appFlow = db.prepare<[string, string], { flow_id: string }>('SELECT flow_id FROM user_flow_apps WHERE tenant_id = ? AND app_id = lower(?)');
  }

  list(tenantId: string): UserFlow[] {
    return this.#list.all(tenantId).map(toFlow);
  }

  get(tenantId: string, id: string): UserFlow | undefined {
    const r = this.#get.get(tenantId, id);
    return r && toFlow(r);
  }

  appIds(tenantId: string, flowId: string): string[] {
    return this.#apps.all(tenantId, flowId).map((r) => r.app_id);
  }

  /** The flow an app is linked to (an app is linked to at most one). */
  flowOfApp(tenantId: string, appId: string): string | undefined {
    return this.#appFlow.get(tenantId, appId)?.flow_id;
  }
}

