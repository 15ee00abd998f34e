import type { ApiRouteKey } from './routes.js';
import {
  getEnvironment,
  getLogs,
  getPlan,
  getTraffic,
  listEnvironments,
  postDeployment,
  postRollback,
} from './handlers/environment-handlers.js';
import {
  getDeploymentDetail,
  listDeployments,
  postApproval,
  postSignal,
} from './handlers/deployment-handlers.js';
import { getJob, postRelease } from './handlers/job-handlers.js';
import { getEvents } from './handlers/events-handler.js';
import { getMetrics } from './handlers/metrics-handler.js';
import { deleteToken, listTokens, postToken } from './handlers/token-handlers.js';
import type { Handler } from './handlers/handler.js';
import { listLedger } from './handlers/ledger-handlers.js';
import { listReleases } from './handlers/release-handlers.js';
import { postUnlock } from './handlers/lock-handlers.js';
import { getMaintenance, postMaintenance } from './handlers/maintenance-handlers.js';

/** The API's handler of every route it owns in ROUTES: a route without a handler does not compile. */
export const API_HANDLERS: Record<ApiRouteKey, Handler> = {
  'GET /healthz': (c, deps) => c.json({ ok: true, replica: deps.replicaId }),
  'GET /metrics': getMetrics,
  'GET /api/v1/environments': listEnvironments,
  'GET /api/v1/environments/:env': getEnvironment,
  'GET /api/v1/environments/:env/plan': getPlan,
  'GET /api/v1/environments/:env/logs': getLogs,
  'GET /api/v1/environments/:env/traffic': getTraffic,
  'POST /api/v1/environments/:env/deployments': postDeployment,
  'POST /api/v1/environments/:env/rollback': postRollback,
  'POST /api/v1/environments/:env/unlock': postUnlock,
  'POST /api/v1/environments/:env/maintenance': postMaintenance,
  'GET /api/v1/environments/:env/maintenance': getMaintenance,
  'GET /api/v1/releases': listReleases,
  'POST /api/v1/releases': postRelease,
  'GET /api/v1/deployments': listDeployments,
  'GET /api/v1/deployments/:id': getDeploymentDetail,
  'POST /api/v1/deployments/:id/promote': postSignal('promote'),
  'POST /api/v1/deployments/:id/abort': postSignal('abort'),
  'POST /api/v1/deployments/:id/approve': postApproval('approve'),
  'POST /api/v1/deployments/:id/reject': postApproval('reject'),
  'GET /api/v1/jobs/:id': getJob,
  'GET /api/v1/ledger': listLedger,
  'GET /api/v1/events': getEvents,
  'GET /api/v1/tokens': listTokens,
  'POST /api/v1/tokens': postToken,
  'DELETE /api/v1/tokens/:id': deleteToken,
};
