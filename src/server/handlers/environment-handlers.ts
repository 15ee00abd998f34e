import { z } from 'zod';
import { UnknownNameError } from '../../core/errors.js';
import { environmentConfig } from '../../config/environment-config.js';
import { hostsOf } from '../../hosts/hosts-of.js';
import { collectStatus } from '../../operations/collect-status.js';
import { planDeployment } from '../../operations/plan-deployment.js';
import { readLogs } from '../../operations/read-logs.js';
import { readTraffic } from '../../operations/read-traffic.js';
import { grantedEnvironments } from '../auth/roles.js';
import { HttpError } from '../map-error.js';
import { jsonBody, pathParam, queryInt, queryText } from '../request-input.js';
import type { ServerDeps } from '../server-env.js';
import type { Handler } from './handler.js';
import { principalOf } from './handler.js';

/** GET /environments: the status of each environment the principal may read (as `slipway status --json`). */
export const listEnvironments: Handler = async (c, deps) => {
  const granted = grantedEnvironments(principalOf(c).grants, 'read');
  const names = Object.keys(deps.project.config.environments).filter(
    (name) => granted === '*' || granted.includes(name),
  );
  const statuses = [];
  for (const name of names) statuses.push(await collectStatus(deps.project, name));
  return c.json(statuses);
};

/** GET /environments/:env */
export const getEnvironment: Handler = async (c, deps) =>
  c.json(await collectStatus(deps.project, pathParam(c, 'env')));

/** GET /environments/:env/plan?release=V: the plan a deploy would run now, and its text as `slipway plan` prints it. */
export const getPlan: Handler = async (c, deps) =>
  c.json(await planDeployment(deps.project, pathParam(c, 'env'), queryText(c, 'release')));

/** GET /environments/:env/logs?lines=200: the last lines of the environment's targets' logs. */
export const getLogs: Handler = async (c, deps) => {
  const environment = pathParam(c, 'env');
  const lines = queryInt(c, 'lines', 200, 5000);
  const target = queryText(c, 'target');
  const hosts = hostsOf(deps.project, environment).filter(
    // A local agent that is not running has no logs to give; asking would start one.
    (h) => h !== deps.project.local || deps.project.local.hasState(),
  );
  const read = await readLogs(hosts, {
    app: deps.project.config.app,
    lines,
    ...(target ? { targetId: target } : {}),
  });
  return c.json({ lines: read });
};

/** GET /environments/:env/traffic: each host's router counters per target (the dashboard's canary charts). */
export const getTraffic: Handler = async (c, deps) =>
  c.json(await readTraffic(deps.project, pathParam(c, 'env')));

const deployBody = z.strictObject({
  release: z.string().min(1).optional(),
  reason: z.string().optional(),
  resume: z.boolean().optional(),
});

/** POST /environments/:env/deployments {release?, reason?, resume?}: 202 with the job (deploy or resume). */
export const postDeployment: Handler = async (c, deps) => {
  const environment = pathParam(c, 'env');
  environmentConfig(deps.project.config, environment);
  const body = await jsonBody(c, deployBody);
  const requestedBy = principalOf(c).name;
  if (body.resume) {
    if (body.release !== undefined)
      throw new HttpError(400, 'a resume continues the interrupted plan: no release');
    return c.json(await deps.jobs.enqueue({ kind: 'resume', environment, payload: {}, requestedBy }), 202);
  }
  if (body.release !== undefined) await requireRelease(deps, body.release);
  const job = await deps.jobs.enqueue({
    kind: 'deploy',
    environment,
    payload: {
      ...(body.release !== undefined ? { release: body.release } : {}),
      ...(body.reason ? { reason: body.reason } : {}),
    },
    requestedBy,
  });
  return c.json(job, 202);
};

const rollbackBody = z.strictObject({ to: z.string().min(1).optional(), reason: z.string().optional() });

/** POST /environments/:env/rollback {to?, reason?}: 202 with the job. */
export const postRollback: Handler = async (c, deps) => {
  const environment = pathParam(c, 'env');
  environmentConfig(deps.project.config, environment);
  const body = await jsonBody(c, rollbackBody);
  if (body.to !== undefined) await requireRelease(deps, body.to);
  const job = await deps.jobs.enqueue({
    kind: 'rollback',
    environment,
    payload: {
      ...(body.to !== undefined ? { to: body.to } : {}),
      ...(body.reason ? { reason: body.reason } : {}),
    },
    requestedBy: principalOf(c).name,
  });
  return c.json(job, 202);
};

async function requireRelease(deps: ServerDeps, version: string): Promise<void> {
  if (!(await deps.project.store.getRelease(deps.project.config.app, version)))
    throw new UnknownNameError(`release ${version} of ${deps.project.config.app} does not exist`, {
      hint: 'GET /api/v1/releases lists the releases',
    });
}
