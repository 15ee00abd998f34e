import type { VerificationRepository } from '../store/index.js';
import { describeFailure } from './verification-check.js';

export interface VerificationGate {
  /** `none`: the release was never verified in that environment. */
  status: 'passed' | 'failed' | 'none';
  /** Each failed check of the newest verification, as a line. */
  failures: string[];
}

/**
 * The pipeline's promotion gate asks this before a release may leave `environment` for the next one: the newest
 * verification of the release there decides (a later `slipway verify` that passes lifts a failure).
 */
export async function getVerificationGate(
  store: Pick<VerificationRepository, 'latestVerification'>,
  q: { app: string; release: string; environment: string },
): Promise<VerificationGate> {
  const latest = await store.latestVerification(q);
  if (!latest) return { status: 'none', failures: [] };
  if (latest.passed) return { status: 'passed', failures: [] };
  const failures = latest.checks.filter((c) => !c.passed).map(describeFailure);
  return { status: 'failed', failures: failures.length ? failures : ['verification failed'] };
}
