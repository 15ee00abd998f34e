import { HttpError } from './map-error.js';
import type { JobRunner } from './jobs/job-runner.js';

/**
 * Stand-in until the job runner (src/server/jobs/create-job-runner.ts) is wired: the server answers reads,
 * and mutations that need a job answer 503 saying so. Knows no jobs.
 */
export function createUnavailableJobRunner(): JobRunner {
  const refuse = (): never => {
    throw new HttpError(
      503,
      'this server runs no job runner: deploy, rollback, resume and release are unavailable',
    );
  };
  return {
    enqueue: () => Promise.reject(new Error('unreachable')).catch(refuse),
    get: () => Promise.resolve(undefined),
    list: () => Promise.resolve([]),
    start: () => undefined,
    stop: () => Promise.resolve(),
  };
}
