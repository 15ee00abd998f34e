import { z } from 'zod';
import { UnknownNameError } from '../../core/errors.js';
import { jsonBody, pathParam } from '../request-input.js';
import type { Handler } from './handler.js';
import { principalOf } from './handler.js';

/** GET /jobs/:id */
export const getJob: Handler = async (c, deps) => {
  const id = pathParam(c, 'id');
  const job = await deps.jobs.get(id);
  if (!job) throw new UnknownNameError(`no job ${id}`);
  return c.json(job);
};

const releaseBody = z.strictObject({ version: z.string().min(1).optional() });

/** POST /releases {version?}: 202 with the job that builds the release in the server's project directory. */
export const postRelease: Handler = async (c, deps) => {
  const body = await jsonBody(c, releaseBody);
  const job = await deps.jobs.enqueue({
    kind: 'release',
    environment: null,
    payload: body.version !== undefined ? { version: body.version } : {},
    requestedBy: principalOf(c).name,
  });
  return c.json(job, 202);
};
