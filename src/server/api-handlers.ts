import { HttpError } from './map-error.js';
import type { ApiRouteKey } from './routes.js';
import { getEnvironment, listEnvironments } from './handlers/environment-handlers.js';
import { getDeploymentDetail, listDeployments } from './handlers/deployment-handlers.js';
import type { Handler } from './handlers/handler.js';
import { listLedger } from './handlers/ledger-handlers.js';
import { listReleases } from './handlers/release-handlers.js';

const notBuiltYet: Handler = () => {
  throw new HttpError(501, 'this route is not built yet');
};

/** The API's handler of every route it owns in ROUTES: a route without a handler does not compile. */
export const API_HANDLERS: Record<ApiRouteKey, Handler> = {
  'GET /healthz': (c, deps) => c.json({ ok: true, replica: deps.replicaId }),
  'GET /metrics': notBuiltYet,
  'GET /api/v1/environments': listEnvironments,
  'GET /api/v1/environments/:env': getEnvironment,
  'GET /api/v1/environments/:env/plan': notBuiltYet,
  'GET /api/v1/environments/:env/logs': notBuiltYet,
  'GET /api/v1/environments/:env/traffic': notBuiltYet,
  'POST /api/v1/environments/:env/deployments': notBuiltYet,
  'POST /api/v1/environments/:env/rollback': notBuiltYet,
  'GET /api/v1/releases': listReleases,
  'POST /api/v1/releases': notBuiltYet,
  'GET /api/v1/deployments': listDeployments,
  'GET /api/v1/deployments/:id': getDeploymentDetail,
  'POST /api/v1/deployments/:id/promote': notBuiltYet,
  'POST /api/v1/deployments/:id/abort': notBuiltYet,
  'POST /api/v1/deployments/:id/approve': notBuiltYet,
  'POST /api/v1/deployments/:id/reject': notBuiltYet,
  'GET /api/v1/jobs/:id': notBuiltYet,
  'GET /api/v1/ledger': listLedger,
  'GET /api/v1/events': notBuiltYet,
  'GET /api/v1/tokens': notBuiltYet,
  'POST /api/v1/tokens': notBuiltYet,
  'DELETE /api/v1/tokens/:id': notBuiltYet,
};
