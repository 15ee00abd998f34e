import { describe, expect, it } from 'vitest';
import { planDeploy, type DeployInput, type ReleaseRuntime } from './plan-deploy.js';
import type { Step } from './steps.js';
import { releaseRuntime } from './test-fixtures.js';

// A container release goes through the same planners as a process release; only the steps' runtime data differ.

const container = (image: string): ReleaseRuntime['container'] => ({
  image,
  ref: 'slipway/hello:2.0.0',
  pull: false,
  socket: '/run/docker.sock',
  memoryBytes: 268_435_456,
  cpus: 0.5,
});

function release(version: string, image?: string): ReleaseRuntime {
  return releaseRuntime(version, image ? { container: container(image) } : {});
}

function input(overrides: Partial<DeployInput>): DeployInput {
  return {
    app: 'hello',
    environment: 'production',
    kind: 'deploy',
    deploymentId: 'dtest000abc123',
    hosts: ['a', 'b'],
    publicPort: 8420,
    bindAddress: '127.0.0.1',
    metricsPort: null,
    edge: null,
    strategy: { kind: 'blue-green', keepWarmMs: 300_000, drainTimeoutMs: 10_000 },
    release: release('2.0.0', 'sha256:new'),
    previousRelease: null,
    observed: [],
    retainReleases: 3,
    nowMs: 0,
    ...overrides,
  };
}

const stepsOf = (steps: Step[], kind: Step['kind']): Step[] => steps.filter((s) => s.kind === kind);

describe('planDeploy with containers', () => {
  it('gives install, start and prune steps the image, the container settings and the engine socket', () => {
    const steps = planDeploy(input({})).stages.flatMap((s) => s.steps);
    expect(stepsOf(steps, 'install-release')).toEqual([
      expect.objectContaining({
        host: 'a',
        image: { id: 'sha256:new', ref: 'slipway/hello:2.0.0', socket: '/run/docker.sock', pull: false },
      }),
      expect.objectContaining({ host: 'b', image: expect.objectContaining({ id: 'sha256:new' }) as unknown }),
    ]);
    expect(stepsOf(steps, 'start-target')[0]).toMatchObject({
      container: {
        image: 'sha256:new',
        socket: '/run/docker.sock',
        environment: 'production',
        memoryBytes: 268_435_456,
        cpus: 0.5,
      },
    });
    expect(stepsOf(steps, 'prune-releases')[0]).toMatchObject({ dockerSocket: '/run/docker.sock' });
  });

  it("carries a registry pull's login by name only, never a password", () => {
    const login = { server: 'r.example.com:5000', username: 'ci', passwordSecret: 'REG_PW' };
    const ref = `r.example.com:5000/hello@sha256:${'d'.repeat(64)}`;
    const pulled = releaseRuntime('2.0.0', {
      container: { ...container('sha256:new'), ref, pull: true, login } as ReleaseRuntime['container'],
    });
    const plan = planDeploy(input({ release: pulled }));
    const installs = stepsOf(
      plan.stages.flatMap((s) => s.steps),
      'install-release',
    );
    expect(installs.map((s) => (s.kind === 'install-release' ? s.image : null))).toEqual([
      { id: 'sha256:new', ref, socket: '/run/docker.sock', pull: true, login },
      { id: 'sha256:new', ref, socket: '/run/docker.sock', pull: true, login },
    ]);
    expect(JSON.stringify(plan)).not.toMatch(/password"/i);
  });

  it('restarts the previous release from its own image when a recreate fails', () => {
    const plan = planDeploy(
      input({
        hosts: ['a'],
        strategy: { kind: 'recreate', drainTimeoutMs: 1000 },
        previousRelease: release('1.0.0', 'sha256:old'),
        observed: [
          {
            host: 'a',
            active: { targetId: 'hello-1.0.0-old', release: '1.0.0' },
            targets: [{ targetId: 'hello-1.0.0-old', release: '1.0.0', state: 'running', stopAtMs: null }],
          },
        ],
      }),
    );
    const restart = plan.onFailure.flatMap((s) => s.steps).find((s) => s.kind === 'start-target');
    expect(restart).toMatchObject({ release: '1.0.0', container: { image: 'sha256:old' } });
  });

  it('leaves process releases without any container data', () => {
    const steps = planDeploy(input({ release: release('2.0.0') })).stages.flatMap((s) => s.steps);
    for (const step of steps) {
      expect(step).not.toHaveProperty('image');
      expect(step).not.toHaveProperty('container');
      expect(step).not.toHaveProperty('dockerSocket');
    }
  });
});
