import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import type { Host } from '../hosts/host.js';
import type { NewLedgerEvent, VerificationRecord, VerificationRepository } from '../store/index.js';
import { comparePerformance } from './compare-performance.js';
import { loadEndpoint, type Endpoint } from './endpoint.js';
import { runCompatibilityChecks } from './run-compatibility.js';
import { runLoad } from './run-load.js';
import { runSecurityChecks } from './run-security.js';
import { runSmokeRequest } from './run-smoke.js';
import { describeFailure, type PerformanceSample, type VerificationCheck } from './verification-check.js';
import type { VerifySuitePlan } from './verify-suite.js';

/** The store as verification uses it: its results, and the ledger. */
export interface VerificationStore extends VerificationRepository {
  appendEvent(event: NewLedgerEvent): Promise<number>;
}

export interface VerificationTarget {
  app: string;
  environment: string;
  release: string;
  /** Hosts of the environment (their listening ports are checked). */
  hosts: string[];
  suite: VerifySuitePlan;
}

export interface VerificationPorts {
  store: VerificationStore;
  hosts: ReadonlyMap<string, Host>;
  clock: Clock;
  actor: string;
}

/** What a verify step runs with: the ports, and the deployment it belongs to (null: `slipway verify`). */
export interface VerificationContext extends VerificationPorts {
  deploymentId: string | null;
}

export interface VerificationOutcome {
  record: VerificationRecord;
  failures: string[];
}

/**
 * Runs the suite against the environment (smoke, security, compatibility, then the load run, so that the load
 * does not disturb the other checks), stores the result and writes `verify.passed` or `verify.failed` to the
 * ledger. A failed check is a result, not an error: the caller decides what a failure means.
 */
export async function runVerification(
  target: VerificationTarget,
  ports: VerificationContext,
  signal?: AbortSignal,
): Promise<VerificationOutcome> {
  const { suite, release } = target;
  const endpoint = loadEndpoint(suite);
  const checks: VerificationCheck[] = [];
  for (const request of suite.smoke) checks.push(await runSmokeRequest(endpoint, request, release));
  if (suite.security) {
    const hosts = target.hosts.map((name) => {
      const host = ports.hosts.get(name);
      if (!host) throw new SlipwayError(`host ${name} is not part of this environment`);
      return host;
    });
    checks.push(...(await runSecurityChecks(endpoint, suite.security, hosts, () => ports.clock.nowMs())));
  }
  if (suite.compatibility)
    checks.push(...(await runCompatibilityChecks(endpoint, suite.compatibility, release)));
  let performance: PerformanceSample | null = null;
  if (suite.performance && !signal?.aborted) {
    const baseline = await ports.store.findPerformanceBaseline({
      app: target.app,
      environment: target.environment,
      excludeRelease: release,
    });
    const check = await measurePerformance(endpoint, suite, baseline, signal);
    performance = check.sample;
    checks.push(check.check);
  }
  const failures = checks.filter((c) => !c.passed).map(describeFailure);
  const passed = failures.length === 0;
  const atMs = ports.clock.nowMs();
  const recordWithoutId = {
    app: target.app,
    environment: target.environment,
    release,
    deploymentId: ports.deploymentId,
    atMs,
    passed,
    checks,
    performance,
  };
  const id = await ports.store.recordVerification(recordWithoutId);
  await ports.store.appendEvent({
    atMs,
    actor: ports.actor,
    app: target.app,
    environment: target.environment,
    kind: passed ? 'verify.passed' : 'verify.failed',
    deploymentId: ports.deploymentId,
    release,
    message: passed
      ? `verification of ${release} in ${target.environment} passed (${checks.length} checks)`
      : `verification of ${release} in ${target.environment} failed: ${failures.join('; ')}`,
    data: { verificationId: id, checks: checks.length, failures, performance },
  });
  return { record: { id, ...recordWithoutId }, failures };
}

async function measurePerformance(
  endpoint: Endpoint,
  suite: VerifySuitePlan,
  baseline: VerificationRecord | undefined,
  signal?: AbortSignal,
): Promise<{ check: VerificationCheck; sample: PerformanceSample | null }> {
  const plan = suite.performance;
  if (!plan) throw new Error('no performance plan');
  const name = `load ${plan.paths.join(', ')}`;
  try {
    const sample = await runLoad(endpoint, plan, signal);
    const judged = comparePerformance(
      sample,
      baseline?.performance ? { release: baseline.release, sample: baseline.performance } : null,
      plan.tolerance,
    );
    return {
      sample,
      check: {
        name,
        kind: 'performance',
        passed: judged.passed,
        measured: {
          requests: sample.requests,
          requestsPerSecond: Math.round(sample.requestsPerSecond),
          p50Ms: sample.p50Ms,
          p95Ms: sample.p95Ms,
          p99Ms: sample.p99Ms,
          errorRate: sample.errorRate,
          baselineRelease: baseline?.release ?? null,
        },
        message: judged.message,
      },
    };
  } catch (err) {
    return {
      sample: null,
      check: {
        name,
        kind: 'performance',
        passed: false,
        measured: {},
        message: `load run failed: ${err instanceof Error ? err.message : String(err)}`,
      },
    };
  }
}
