import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock.js';
import { environmentSchema } from '../config/schema.js';
import { executePlan, ON_FAILURE_BASE_INDEX } from '../executor/execute-plan.js';
import { silentReporter } from '../executor/progress.js';
import type { StepHandlers, StepResult } from '../executor/step-context.js';
import { describePlan } from '../plan/describe-plan.js';
import { planDeploy, type DeployInput, type ReleaseRuntime } from '../plan/plan-deploy.js';
import type { Plan, Step } from '../plan/steps.js';
import { releaseRuntime } from '../plan/test-fixtures.js';
import { useTempStores } from '../store/test-fixtures.js';
import { deriveEnvironmentUrl, deriveVerifyInput } from './derive-verify-input.js';

// The verify step as data (planner, describe) and how the executor treats its failure. Handlers here record
// calls instead of reaching hosts; test/integration/verification.test.ts runs the real thing.

const stores = useTempStores();
let tick = 0;
const clock: Clock = { nowMs: () => 1_000_000 + tick++ };

function runtime(version: string): ReleaseRuntime {
  return releaseRuntime(version, {
    sha256: 'a'.repeat(64),
    artifact: `/a/${version}.tgz`,
    healthCheck: {
      path: '/healthz',
      intervalMs: 100,
      timeoutMs: 100,
      healthyThreshold: 1,
      unhealthyThreshold: 1,
    },
    startTimeoutMs: 1000,
    stopTimeoutMs: 1000,
    restart: { initialBackoffMs: 10, maxBackoffMs: 100 },
  });
}

const env = (verify: unknown) =>
  environmentSchema.parse({ publicPort: 8000, bindAddress: '0.0.0.0', verify });

const previousRelease = {
  app: 'hello',
  version: '1.0.0',
  sha256: 'b'.repeat(64),
  artifactPath: '/a/1.0.0.tgz',
  sizeBytes: 1,
  createdBy: 't',
  createdAtMs: 0,
  source: null,
  config: {
    environments: {
      staging: {
        env: {},
        secrets: [],
        smoke: [
          {
            path: '/old',
            method: 'GET',
            headers: {},
            expect: { status: 200, headers: {}, body: ['v1 clients'], json: {}, within: '2s' },
          },
        ],
      },
    },
  },
};

function input(kind: DeployInput['kind'], verify: unknown): DeployInput {
  return {
    app: 'hello',
    environment: 'staging',
    kind,
    deploymentId: 'd-verify',
    hosts: ['local'],
    publicPort: 8000,
    bindAddress: '0.0.0.0',
    metricsPort: null,
    edge: null,
    strategy: { kind: 'blue-green', keepWarmMs: 1000, drainTimeoutMs: 1000 },
    release: runtime('2.0.0'),
    previousRelease: runtime('1.0.0'),
    observed: [
      {
        host: 'local',
        active: { targetId: 'old', release: '1.0.0' },
        targets: [{ targetId: 'old', release: '1.0.0', state: 'running', stopAtMs: null }],
      },
    ],
    retainReleases: 3,
    nowMs: 0,
    verify: deriveVerifyInput(env(verify), 'staging', previousRelease, '/project'),
  };
}

const SUITE = {
  smoke: [{ path: '/api/version', expect: { json: { release: '{{release}}' } } }],
  performance: { duration: '2m', paths: ['/'] },
  security: { allowedPorts: [22] },
  compatibility: { commands: [{ name: 'old client', run: './old-client.sh' }] },
};

describe('planning a verification', () => {
  it('a deploy to an environment with verify: ends with a verify stage that keeps the release on failure', () => {
    const plan = planDeploy(input('deploy', SUITE));
    const last = plan.stages.at(-1);
    expect(last?.name).toBe('verification');
    expect(last?.keepOnFailure).toBe(true);
    const step = last?.steps[0];
    expect(step?.kind).toBe('verify');
    if (step?.kind !== 'verify') return;
    expect(step.suite.baseUrl).toBe('http://127.0.0.1:8000');
    // The load run is bounded whatever the config says.
    expect(step.suite.performance?.durationMs).toBe(60_000);
    // The environment's own public port is always allowed.
    expect(step.suite.security?.allowedPorts).toEqual([22, 8000]);
    expect(step.suite.security?.forbiddenPaths).toContain('/.env');
    expect(step.suite.security?.tls).toBe(null);
    expect(step.suite.compatibility?.previousRelease).toBe('1.0.0');
    expect(step.suite.compatibility?.previousSmoke.map((r) => [r.name, r.expect.body])).toEqual([
      ['GET /old', ['v1 clients']],
    ]);
    expect(describePlan(plan)).toContain(
      'verify 2.0.0 in staging at http://127.0.0.1:8000 — smoke: GET /api/version | performance: 10 connections for 1m on /',
    );
  });

  it('with onFailure: rollback a failed verification runs the on-failure stages; a rollback is never verified', () => {
    expect(
      planDeploy(input('deploy', { ...SUITE, onFailure: 'rollback' })).stages.at(-1)?.keepOnFailure,
    ).toBe(undefined);
    expect(planDeploy(input('rollback', SUITE)).stages.map((s) => s.name)).not.toContain('verification');
    expect(planDeploy({ ...input('deploy', SUITE), verify: null }).stages.map((s) => s.name)).not.toContain(
      'verification',
    );
  });

  it('an https url turns the TLS checks on; the edge is the default address', () => {
    const tls = deriveVerifyInput(
      env({ url: 'https://staging.example.com/', security: {} }),
      'staging',
      undefined,
      '/p',
    );
    expect(tls?.suite.baseUrl).toBe('https://staging.example.com');
    expect(tls?.suite.security?.tls).toEqual({ minDaysValid: 14, minVersion: 'TLSv1.2', caFile: null });
    expect(tls?.suite.compatibility).toBe(null);
    const withEdge = environmentSchema.parse({
      publicPort: 8000,
      hosts: [{ name: 'web1', address: '10.0.0.11' }],
      edge: { host: 'local', publicPort: 80 },
    });
    expect(deriveEnvironmentUrl(withEdge)).toBe('http://127.0.0.1:80');
    expect(deriveEnvironmentUrl({ ...withEdge, edge: undefined })).toBe('http://10.0.0.11:8000');
  });
});

describe('verify.security.tls and the front door', () => {
  const withDomains = (o: Record<string, unknown>) =>
    environmentSchema.parse({
      publicPort: 8000,
      domains: ['*.shop.test', 'shop.test', 'www.shop.test'],
      frontDoor: { httpPort: 8080, httpsPort: 8443 },
      tls: { certificates: [{ cert: 'c.pem', key: 'c.key' }] },
      ...o,
    });

  it("checks each name's certificate on the front door when the url is not https, with the same rules and CA", () => {
    const derived = deriveVerifyInput(
      withDomains({ verify: { security: { tls: { minDaysValid: 30, ca: 'ca.pem' } } } }),
      'production',
      undefined,
      '/p',
    );
    expect(derived?.suite.baseUrl).toBe('http://127.0.0.1:8000');
    expect(derived?.suite.security?.tls).toEqual({
      minDaysValid: 30,
      minVersion: 'TLSv1.2',
      caFile: '/p/ca.pem',
    });
    expect(derived?.suite.security?.frontDoor).toEqual({
      address: '127.0.0.1',
      port: 8443,
      names: ['shop.test', 'www.shop.test'],
    });
    const plan = planDeploy({ ...input('deploy', SUITE), verify: derived });
    expect(describePlan(plan)).toContain(
      'TLS ≥ TLSv1.2, certificate valid 30+ days for shop.test, www.shop.test on the front door 127.0.0.1:8443',
    );
  });

  it('an https url is checked as given; names over plain HTTP have no TLS to check', () => {
    const https = deriveVerifyInput(
      withDomains({ verify: { url: 'https://shop.test:8443/', security: {} } }),
      'production',
      undefined,
      '/p',
    );
    expect(https?.suite.security?.tls).not.toBe(null);
    expect(https?.suite.security).not.toHaveProperty('frontDoor');
    const plain = deriveVerifyInput(
      withDomains({ tls: undefined, verify: { security: {} } }),
      'production',
      undefined,
      '/p',
    );
    expect(plain?.suite.security?.tls).toBe(null);
    expect(plain?.suite.security).not.toHaveProperty('frontDoor');
  });
});

describe('executing a failed verification', () => {
  function handlers(calls: Step[]): StepHandlers {
    const handle = (step: Step): Promise<StepResult> => {
      calls.push(step);
      if (step.kind === 'verify')
        return Promise.reject(
          new Error('verification of 2.0.0 in staging failed: security /.env: served with 200'),
        );
      return Promise.resolve({ detail: 'ok' });
    };
    return new Proxy({}, { get: () => handle }) as StepHandlers;
  }

  async function run(plan: Plan) {
    const store = await stores.open();
    await store.createDeployment({
      id: plan.deploymentId,
      app: plan.app,
      environment: plan.environment,
      kind: plan.kind,
      releaseVersion: plan.release.version,
      previousVersion: plan.previous?.release ?? null,
      strategy: plan.strategy,
      plan,
      createdBy: 'test',
      createdAtMs: clock.nowMs(),
    });
    const calls: Step[] = [];
    const result = await executePlan(plan, {
      store,
      handlers: handlers(calls),
      stepContext: { hosts: new Map(), secrets: new Map(), clock },
      reporter: silentReporter,
      actor: 'tester',
    });
    const steps = await store.listSteps(plan.deploymentId);
    return { result, calls, onFailureRan: steps.some((s) => s.index >= ON_FAILURE_BASE_INDEX) };
  }

  it('keep: the deployment fails with the message and nothing is switched back', async () => {
    const { result, calls, onFailureRan } = await run(planDeploy(input('deploy', SUITE)));
    expect(result).toEqual({
      outcome: 'failed',
      error: 'verification of 2.0.0 in staging failed: security /.env: served with 200',
    });
    expect(onFailureRan).toBe(false);
    expect(calls.at(-1)?.kind).toBe('verify');
  });

  it('rollback: the on-failure stages switch back to the previous release', async () => {
    const { result, calls, onFailureRan } = await run(
      planDeploy(input('deploy', { ...SUITE, onFailure: 'rollback' })),
    );
    expect(result.outcome).toBe('rolled-back');
    expect(onFailureRan).toBe(true);
    expect(calls.some((c) => c.kind === 'switch-traffic' && c.release === '1.0.0')).toBe(true);
  });
});
