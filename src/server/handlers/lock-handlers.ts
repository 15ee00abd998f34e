import { z } from 'zod';
import { unlockEnvironment } from '../../operations/unlock-environment.js';
import type { UnlockView } from '../api-types.js';
import { jsonBody, pathParam } from '../request-input.js';
import { controlPlaneFor } from '../server-env.js';
import type { Handler } from './handler.js';
import { principalOf } from './handler.js';

const unlockBody = z.strictObject({ reason: z.string().trim().min(1) });

/** POST /environments/:env/unlock {reason}: removes a lock whose holder died elsewhere; ledgered as the principal. */
export const postUnlock: Handler = async (c, deps) => {
  const environment = pathParam(c, 'env');
  const body = await jsonBody(c, unlockBody);
  const { removed, unfinished } = await unlockEnvironment(
    controlPlaneFor(deps.project, principalOf(c)),
    environment,
    body.reason,
  );
  const view: UnlockView = {
    removed: {
      holder: removed.holder,
      pid: removed.pid,
      hostname: removed.hostname,
      deploymentId: removed.deploymentId,
      acquiredAtMs: removed.acquiredAtMs,
    },
    unfinished: unfinished
      ? { id: unfinished.id, kind: unfinished.kind, release: unfinished.releaseVersion }
      : null,
  };
  return c.json(view);
};
