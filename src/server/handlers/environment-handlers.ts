import { grantedEnvironments } from '../auth/roles.js';
import { collectStatus } from '../../operations/collect-status.js';
import { pathParam } from '../request-input.js';
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
