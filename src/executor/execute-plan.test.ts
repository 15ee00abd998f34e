import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock.js';
import { planDeploy, type ReleaseRuntime } from '../plan/plan-deploy.js';
import { CONTROL_PLANE, type Plan, type Step, type StepKind } from '../plan/steps.js';
import { useTempStores } from '../store/test-fixtures.js';
import type { Store } from '../store/index.js';
import { deriveCompletedSteps } from './derive-phase.js';
import { executePlan, ON_FAILURE_BASE_INDEX } from './execute-plan.js';
import { sleepUnlessAborted } from '../core/sleep.js';
import { silentReporter } from './progress.js';
import type { StepHandlers, StepResult } from './step-context.js';

// The executor against a real SQLite store, with step handlers that record calls instead of reaching hosts:
// this unit test is about ordering, recording and resume; the integration tests drive real agents.

const stores = useTempStores();
let tick = 0;
const clock: Clock = { nowMs: () => 1_000_000 + tick++ };

function runtime(version: string): ReleaseRuntime {
  return {
    version,
    sha256: 'a'.repeat(64),
    artifact: `/a/${version}.tgz`,
    command: 'node server.js',
    env: {},
    secretNames: [],
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
  };
}

function plan(id: string): Plan {
  return planDeploy({
    app: 'hello',
    environment: 'production',
    kind: 'deploy',
    deploymentId: id,
    hosts: ['local'],
    publicPort: 8000,
    bindAddress: '127.0.0.1',
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
  });
}

function recordingHandlers(calls: Step[], behaviour: (step: Step) => void = () => {}): StepHandlers {
  const handle = (step: Step): Promise<StepResult> => {
    calls.push(step);
    behaviour(step);
    return Promise.resolve({ detail: 'ok' });
  };
  const kinds: StepKind[] = [
    'install-release',
    'ensure-route',
    'start-target',
    'wait-healthy',
    'switch-traffic',
    'stop-target',
    'retire-target',
    'prune-releases',
    'set-weight',
    'pause',
    'analyze',
    'ensure-edge',
    'set-edge-member',
  ];
  return Object.fromEntries(kinds.map((k) => [k, handle])) as unknown as StepHandlers;
}

async function createDeployment(store: Store, p: Plan): Promise<void> {
  await store.createDeployment({
    id: p.deploymentId,
    app: p.app,
    environment: p.environment,
    kind: p.kind,
    releaseVersion: p.release.version,
    previousVersion: p.previous?.release ?? null,
    strategy: p.strategy,
    plan: p,
    createdBy: 'test',
    createdAtMs: clock.nowMs(),
  });
}

const options = (store: Store, handlers: StepHandlers) => ({
  store,
  handlers,
  stepContext: { hosts: new Map(), secrets: new Map(), clock },
  reporter: silentReporter,
  actor: 'tester',
});

describe('executePlan', () => {
  it('runs every step in order, records each, and finishes succeeded', async () => {
    const store = await stores.open();
    const p = plan('d1aaaaaa');
    await createDeployment(store, p);
    const calls: Step[] = [];
    const result = await executePlan(p, options(store, recordingHandlers(calls)));
    expect(result.outcome).toBe('succeeded');
    expect(calls.map((s) => s.kind)).toEqual(p.stages.flatMap((s) => s.steps.map((x) => x.kind)));
    const steps = await store.listSteps(p.deploymentId);
    expect(steps.every((s) => s.status === 'succeeded')).toBe(true);
    expect((await store.getDeployment(p.deploymentId))?.outcome).toBe('succeeded');
    const kinds = (await store.listEvents({ app: 'hello', limit: 10 })).map((e) => e.kind);
    expect(kinds).toEqual(['deploy.succeeded', 'traffic.switched', 'deploy.started']);
  });

  it('on a failed step runs the on-failure stages and reports rolled-back', async () => {
    const store = await stores.open();
    const p = plan('d2bbbbbb');
    await createDeployment(store, p);
    const calls: Step[] = [];
    const result = await executePlan(
      p,
      options(
        store,
        recordingHandlers(calls, (step) => {
          if (step.kind === 'wait-healthy') throw new Error('never healthy');
        }),
      ),
    );
    expect(result).toMatchObject({ outcome: 'rolled-back', error: 'never healthy' });
    expect(calls.map((s) => s.kind)).not.toContain('retire-target');
    const afterFailure = calls
      .slice(calls.findIndex((s) => s.kind === 'wait-healthy') + 1)
      .map((s) => s.kind);
    expect(afterFailure).toEqual(['switch-traffic', 'stop-target']);
    const steps = await store.listSteps(p.deploymentId);
    expect(steps.find((s) => s.status === 'failed')?.error).toBe('never healthy');
    expect(steps.filter((s) => s.index >= ON_FAILURE_BASE_INDEX).map((s) => s.status)).toEqual([
      'succeeded',
      'succeeded',
    ]);
  });

  it('an interrupted run leaves the deployment unfinished, and a resume runs only what was not done', async () => {
    const store = await stores.open();
    const p = plan('d3cccccc');
    await createDeployment(store, p);
    const aborter = new AbortController();
    const firstRun: Step[] = [];
    // Interrupt right after the target is started (as a Ctrl-C or a crash of the CLI would).
    const interrupted = await executePlan(p, {
      ...options(
        store,
        recordingHandlers(firstRun, (step) => {
          if (step.kind === 'start-target') aborter.abort();
        }),
      ),
      signal: aborter.signal,
    });
    expect(interrupted.outcome).toBe('interrupted');
    expect((await store.getDeployment(p.deploymentId))?.outcome).toBeNull();
    expect(firstRun.map((s) => s.kind)).toEqual(['install-release', 'ensure-route', 'start-target']);

    const completed = deriveCompletedSteps(await store.listSteps(p.deploymentId), ON_FAILURE_BASE_INDEX);
    const secondRun: Step[] = [];
    const resumed = await executePlan(p, { ...options(store, recordingHandlers(secondRun)), completed });
    expect(resumed.outcome).toBe('succeeded');
    expect(secondRun.map((s) => s.kind)).toEqual([
      'wait-healthy',
      'switch-traffic',
      'retire-target',
      'prune-releases',
    ]);
    const kinds = (await store.listEvents({ app: 'hello', limit: 10 })).map((e) => e.kind);
    expect(kinds).toContain('deploy.resumed');
  });

  it('an interrupt ends a step that waits at once, undoes nothing, and a resume waits again', async () => {
    const store = await stores.open();
    const planned = plan('d4dddddd');
    const [first, ...rest] = planned.stages;
    if (!first) throw new Error('no stages');
    const pause: Step = { kind: 'pause', host: CONTROL_PLANE, durationMs: 3_600_000 };
    const p: Plan = { ...planned, stages: [first, { name: 'wait', steps: [pause] }, ...rest] };
    await createDeployment(store, p);
    const aborter = new AbortController();
    const firstRun: Step[] = [];
    const waiting = (resumed: boolean): StepHandlers => ({
      ...recordingHandlers(firstRun),
      pause: async (step, ctx) => {
        firstRun.push(step);
        if (resumed) return { detail: 'waited' };
        setTimeout(() => aborter.abort(), 20);
        await sleepUnlessAborted(3_600_000, ctx.signal); // an hour: only the interrupt can end it
        return { detail: 'waited' };
      },
    });
    const interrupted = await executePlan(p, { ...options(store, waiting(false)), signal: aborter.signal });
    expect(interrupted.outcome).toBe('interrupted');
    expect(firstRun.map((s) => s.kind)).toEqual([...first.steps.map((s) => s.kind), 'pause']);
    expect((await store.getDeployment(p.deploymentId))?.outcome).toBeNull();
    const steps = await store.listSteps(p.deploymentId);
    expect(steps.map((s) => s.status)).toEqual([...first.steps.map(() => 'succeeded'), 'pending']);

    const completed = deriveCompletedSteps(steps, ON_FAILURE_BASE_INDEX);
    firstRun.length = 0;
    const resumed = await executePlan(p, { ...options(store, waiting(true)), completed });
    expect(resumed.outcome).toBe('succeeded');
    expect(firstRun.map((s) => s.kind)[0]).toBe('pause');
  });
});

function rollingPlan(id: string, failureBudget: number): Plan {
  const hosts = ['web1', 'web2', 'web3'];
  return planDeploy({
    app: 'hello',
    environment: 'production',
    kind: 'deploy',
    deploymentId: id,
    hosts,
    publicPort: 8000,
    bindAddress: '127.0.0.1',
    metricsPort: null,
    edge: {
      host: 'edge',
      publicPort: 80,
      bindAddress: '0.0.0.0',
      upstreams: hosts.map((h) => ({ id: h, address: h, port: 8000 })),
    },
    strategy: {
      kind: 'rolling',
      batchSize: 1,
      maxUnavailable: null,
      pauseBetweenBatchesMs: 0,
      failureBudget,
      onBatchFailure: 'rollback-batch',
      keepWarmMs: 1000,
      drainTimeoutMs: 1000,
    },
    release: runtime('2.0.0'),
    previousRelease: runtime('1.0.0'),
    observed: hosts.map((host) => ({
      host,
      active: { targetId: `old-${host}`, release: '1.0.0' },
      targets: [{ targetId: `old-${host}`, release: '1.0.0', state: 'running', stopAtMs: null }],
    })),
    retainReleases: 3,
    nowMs: 0,
  });
}

const onHost = (calls: Step[], host: string) =>
  calls.filter((s) => s.host === host || ('member' in s && s.member === host)).map((s) => s.kind);

describe('executePlan: rolling batches', () => {
  it('a host failing within the failure budget goes back alone, and the other batches go on', async () => {
    const store = await stores.open();
    const p = rollingPlan('d4dddddd', 1);
    await createDeployment(store, p);
    const calls: Step[] = [];
    const result = await executePlan(
      p,
      options(
        store,
        recordingHandlers(calls, (step) => {
          if (step.kind === 'wait-healthy' && step.host === 'web2') throw new Error('web2 never healthy');
        }),
      ),
    );
    expect(result.outcome).toBe('succeeded');
    // web2: out of the edge, start, health check (fails) → back in the edge, switch back, stop new.
    expect(onHost(calls, 'web2')).toEqual([
      'install-release',
      'ensure-route',
      'set-edge-member',
      'start-target',
      'wait-healthy',
      'set-edge-member',
      'switch-traffic',
      'stop-target',
      'prune-releases',
    ]);
    expect(onHost(calls, 'web3')).toContain('retire-target');
    const events = (await store.listEvents({ app: 'hello', limit: 20 })).map((e) => e.kind);
    expect(events).toContain('host.failed');
  });

  it('beyond the budget, the failing batch is put back and the deploy stops', async () => {
    const store = await stores.open();
    const p = rollingPlan('d5eeeeee', 0);
    await createDeployment(store, p);
    const calls: Step[] = [];
    const result = await executePlan(
      p,
      options(
        store,
        recordingHandlers(calls, (step) => {
          if (step.kind === 'wait-healthy' && step.host === 'web2') throw new Error('web2 never healthy');
        }),
      ),
    );
    expect(result.outcome).toBe('failed');
    expect(result.error).toContain('batch 2 failed and was put back on the previous release');
    expect(onHost(calls, 'web1')).toContain('retire-target'); // batch 1 keeps the new release
    expect(onHost(calls, 'web2').slice(-3)).toEqual(['set-edge-member', 'switch-traffic', 'stop-target']);
    expect(onHost(calls, 'web3')).toEqual(['install-release', 'ensure-route']); // never touched beyond prepare
  });

  it('a failure after the last batch puts every host back on the previous release before stopping the new targets', async () => {
    // Stands for a failed bake or verification: stages outside any batch, once every host serves 2.0.0. A bare
    // 'stop new' here used to stop the targets that served, on every host.
    const store = await stores.open();
    const p = rollingPlan('d7abcdef', 0);
    await createDeployment(store, p);
    const calls: Step[] = [];
    const result = await executePlan(
      p,
      options(
        store,
        recordingHandlers(calls, (step) => {
          if (step.kind === 'prune-releases' && step.host === 'web3') throw new Error('disk gone');
        }),
      ),
    );
    expect(result.outcome).toBe('rolled-back');
    for (const host of ['web1', 'web2', 'web3']) {
      const back = calls.filter((c) => c.host === host && c.kind === 'switch-traffic').at(-1);
      expect(back).toMatchObject({ release: '1.0.0', targetId: `old-${host}` });
      const steps = onHost(calls, host);
      expect(steps.lastIndexOf('stop-target')).toBeGreaterThan(steps.lastIndexOf('switch-traffic'));
    }
  });

  it('says what the put-back did when it failed itself (a host whose link was cut), and puts the host back in the edge', async () => {
    const store = await stores.open();
    const p = rollingPlan('d6ffffff', 0);
    await createDeployment(store, p);
    const result = await executePlan(
      p,
      options(
        store,
        recordingHandlers([], (step) => {
          if (step.host !== 'web2') return;
          if (step.kind === 'wait-healthy') throw new Error('web2 never healthy');
          if (step.kind === 'switch-traffic' && step.release === '1.0.0')
            throw new Error('ssh web2: timed out after 10s');
        }),
      ),
    );
    expect(result.outcome).toBe('failed');
    expect(result.error).not.toContain('put back on the previous release');
    expect(result.error).toBe(
      'batch 2 failed and was not all put back (web2: switching back to 1.0.0 failed (ssh web2: timed out after 10s), ' +
        // The edge host puts it back (its health checks keep users off it until it answers): no SSH to web2 needed.
        '2.0.0 not stopped, back in the edge; the put-back stopped at its first failure): web2 never healthy',
    );
    const stored = await store.getDeployment(p.deploymentId);
    expect(stored?.error).toBe(result.error);
  });

  it('with onBatchFailure: stop, leaves the batch as it is and says that --resume goes on', async () => {
    const store = await stores.open();
    const rolling = rollingPlan('d7aaaaaa', 0);
    if (!rolling.batches) throw new Error('a rolling plan has batches');
    const p: Plan = { ...rolling, batches: { ...rolling.batches, onBatchFailure: 'stop' } };
    await createDeployment(store, p);
    const calls: Step[] = [];
    const result = await executePlan(
      p,
      options(
        store,
        recordingHandlers(calls, (step) => {
          if (step.kind === 'wait-healthy' && step.host === 'web2') throw new Error('web2 never healthy');
        }),
      ),
    );
    expect(result.outcome).toBe('failed');
    expect(result.error).toBe(
      'batch 2 failed and was left as it is (onBatchFailure: stop); once the cause is fixed, ' +
        '"slipway deploy production --resume" goes on from there: web2 never healthy',
    );
    expect(onHost(calls, 'web2')).toEqual([
      'install-release',
      'ensure-route',
      'set-edge-member',
      'start-target',
      'wait-healthy',
    ]);
  });
});
