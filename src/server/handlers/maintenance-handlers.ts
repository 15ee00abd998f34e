import { z } from 'zod';
import { readMaintenance, setMaintenance } from '../../operations/maintenance.js';
import type { MaintenanceOutcomeView, MaintenanceReadView } from '../api-types.js';
import { jsonBody, pathParam } from '../request-input.js';
import { controlPlaneFor } from '../server-env.js';
import type { Handler } from './handler.js';
import { principalOf } from './handler.js';

const maintenanceBody = z.discriminatedUnion('on', [
  z.strictObject({ on: z.literal(true), message: z.string().optional(), retryAfter: z.string().optional() }),
  z.strictObject({ on: z.literal(false) }),
]);

/**
 * POST /environments/:env/maintenance {on, message?, retryAfter?}: maintenance mode on or off at every host of the
 * environment, ledgered as the principal. The answer carries the testers' token (only the caller sees it).
 */
export const postMaintenance: Handler = async (c, deps) => {
  const environment = pathParam(c, 'env');
  const body = await jsonBody(c, maintenanceBody);
  const view: MaintenanceOutcomeView = await setMaintenance(
    controlPlaneFor(deps.project, principalOf(c)),
    environment,
    body,
  );
  return c.json(view);
};

/** GET /environments/:env/maintenance: each host's maintenance mode, without the token. */
export const getMaintenance: Handler = async (c, deps) => {
  const view: MaintenanceReadView = await readMaintenance(deps.project, pathParam(c, 'env'));
  return c.json(view);
};
