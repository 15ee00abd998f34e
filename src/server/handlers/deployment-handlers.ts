import { z } from 'zod';
import type { DeploymentSignalKind } from '../../executor/deployment-signals.js';
import { decideApproval } from '../../operations/decide-approval.js';
import { signalDeployment } from '../../operations/signal-deployment.js';
import { can, grantedEnvironments } from '../auth/roles.js';
import type { DeploymentDetailView, DeploymentView } from '../api-types.js';
import { UnknownNameError } from '../../core/errors.js';
import type { Plan } from '../../plan/steps.js';
import type { DeploymentRecord } from '../../store/index.js';
import { HttpError } from '../map-error.js';
import { jsonBody, pathParam, queryInt, queryText } from '../request-input.js';
import { controlPlaneFor, type ServerDeps } from '../server-env.js';
import { toDeploymentView, toStepViews } from '../views.js';
import type { Handler } from './handler.js';
import { principalOf } from './handler.js';

/** GET /deployments?environment=&limit=: newest first, of the environments the principal may read. */
export const listDeployments: Handler = async (c, deps) => {
  const { store, config } = deps.project;
  const limit = queryInt(c, 'limit', 50, 500);
  const environment = queryText(c, 'environment');
  const granted = grantedEnvironments(principalOf(c).grants, 'read');
  if (environment !== undefined && granted !== '*' && !granted.includes(environment))
    throw new HttpError(403, `${principalOf(c).name} may not read ${environment}`);
  const records =
    environment !== undefined || granted === '*'
      ? await store.listDeployments({ app: config.app, ...(environment ? { environment } : {}), limit })
      : (
          await Promise.all(
            granted.map((env) => store.listDeployments({ app: config.app, environment: env, limit })),
          )
        )
          .flat()
          .sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : -1))
          .slice(0, limit);
  const views: DeploymentView[] = [];
  for (const d of records) views.push(await deploymentView(deps, d));
  return c.json(views);
};

/** GET /deployments/:id: the deployment, each planned step's state, and what the principal may do now. */
export const getDeploymentDetail: Handler = async (c, deps) => {
  const deployment = await requireDeployment(deps, pathParam(c, 'id'));
  const steps = await deps.project.store.listSteps(deployment.id);
  const lock = await deps.project.store.getLock(deployment.app, deployment.environment);
  const view = toDeploymentView(deployment, steps, lock);
  const plan = deployment.plan as Plan;
  const grants = principalOf(c).grants;
  const open = deployment.outcome === null;
  const waitsForApproval = open && plan.stages.some((s) => s.steps.some((x) => x.kind === 'await-approval'));
  const mayDeploy = open && can(grants, 'deploy', deployment.environment);
  const mayApprove = waitsForApproval && can(grants, 'approve', deployment.environment);
  const detail: DeploymentDetailView = {
    deployment: view,
    steps: toStepViews(plan, steps),
    plan,
    allowed: {
      approve: mayApprove,
      reject: mayApprove,
      promote: mayDeploy && plan.canary !== undefined,
      abort: mayDeploy,
    },
  };
  return c.json(detail);
};

export async function requireDeployment(deps: ServerDeps, id: string): Promise<DeploymentRecord> {
  const deployment = await deps.project.store.getDeployment(id);
  if (!deployment || deployment.app !== deps.project.config.app)
    throw new UnknownNameError(`no deployment ${id} of ${deps.project.config.app}`);
  return deployment;
}

export async function deploymentView(deps: ServerDeps, d: DeploymentRecord): Promise<DeploymentView> {
  const { store } = deps.project;
  // Steps and the lock matter only while it runs; a finished deployment's phase is its outcome.
  const steps = d.outcome === null ? await store.listSteps(d.id) : [];
  const lock = d.outcome === null ? await store.getLock(d.app, d.environment) : undefined;
  return toDeploymentView(d, steps, lock);
}

const signalBody = z.strictObject({ reason: z.string().optional() });

/** POST /deployments/:id/promote and /abort {reason?}: a ledger signal with the principal as actor; 202. */
export function postSignal(kind: DeploymentSignalKind): Handler {
  return async (c, deps) => {
    const deployment = await requireDeployment(deps, pathParam(c, 'id'));
    const body = await jsonBody(c, signalBody);
    await signalDeployment(controlPlaneFor(deps.project, principalOf(c)), deployment, kind, body.reason);
    return c.json({ ok: true }, 202);
  };
}

const approveBody = z.strictObject({ comment: z.string().optional() });
const rejectBody = z.strictObject({ comment: z.string().min(1) });

/**
 * POST /deployments/:id/approve {comment?} and /reject {comment}: the grant lets the principal ask; the team:
 * rules of slipway.yml then apply to the principal's name, as for `slipway approve`.
 */
export function postApproval(decision: 'approve' | 'reject'): Handler {
  return async (c, deps) => {
    const id = pathParam(c, 'id');
    const body = await jsonBody(c, decision === 'approve' ? approveBody : rejectBody);
    const outcome = await decideApproval(
      controlPlaneFor(deps.project, principalOf(c)),
      id,
      decision,
      body.comment,
    );
    return c.json({ state: outcome.state, approvedBy: outcome.approvedBy, missing: outcome.missing });
  };
}
