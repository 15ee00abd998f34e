import { describe, expect, it } from 'vitest';
import { describeStep } from './describe-step.js';
import { planDeploy, type DeployInput } from './plan-deploy.js';
import type { PlannedFrontDoor } from './steps.js';
import { deployInput } from './test-fixtures.js';

// `tls.acme` on several hosts without an edge: the control plane obtains one certificate for the fleet, once every
// host's route is on its front door (which answers the CA's HTTP-01 challenges), before any traffic moves.

const HOSTS = ['web1', 'web2', 'web3'];
const ACME = { directoryUrl: 'https://ca.test/dir', email: 'ops@shop.test' };
const door = (acme: PlannedFrontDoor['acme']): PlannedFrontDoor => ({
  names: ['shop.test'],
  pathPrefix: '/',
  httpPort: 80,
  httpsPort: 443,
  bindAddress: '0.0.0.0',
  certificates: [],
  ...(acme ? { acme } : {}),
});

function input(overrides: Partial<DeployInput>): DeployInput {
  return deployInput({
    hosts: HOSTS,
    route: 'hello@production',
    strategy: { kind: 'blue-green', keepWarmMs: 60_000, drainTimeoutMs: 5_000 },
    ...overrides,
  });
}

describe('planDeploy: a certificate shared by a fleet without an edge', () => {
  it('obtains it in a stage of its own after prepare (every door open) and before traffic moves', () => {
    const plan = planDeploy(input({ frontDoor: door({ ...ACME, shared: true }) }));
    const names = plan.stages.map((s) => s.name);
    const at = names.indexOf('certificate');
    expect(at).toBe(names.indexOf('prepare') + 1);
    const [step] = plan.stages[at]!.steps;
    expect(step).toMatchObject({
      kind: 'obtain-certificate',
      host: 'control-plane',
      app: 'hello@production',
      hosts: HOSTS,
      frontDoor: { acme: { shared: true } },
    });
    const switches = plan.stages.findIndex((s) => s.steps.some((x) => x.kind === 'switch-traffic'));
    expect(switches).toBeGreaterThan(at);
    expect(describeStep(step!)).toContain('HTTP-01 answered by the front door of web1, web2, web3');
  });

  it('has no such step when each host (or the edge host) obtains its own', () => {
    const own = planDeploy(input({ hosts: ['web1'], frontDoor: door(ACME) }));
    expect(own.stages.flatMap((s) => s.steps).some((s) => s.kind === 'obtain-certificate')).toBe(false);
    const files = planDeploy(input({ frontDoor: door(undefined) }));
    expect(files.stages.map((s) => s.name)).not.toContain('certificate');
  });

  it('still sends it on a redeploy of the release that serves (stored, renewed when due)', () => {
    const observed = HOSTS.map((host) => ({
      host,
      active: { targetId: `hello_production-2.0.0-${host}`, release: '2.0.0' },
      targets: [
        {
          targetId: `hello_production-2.0.0-${host}`,
          release: '2.0.0',
          state: 'running',
          health: 'healthy' as const,
          stopAtMs: null,
        },
      ],
    }));
    const plan = planDeploy(input({ frontDoor: door({ ...ACME, shared: true }), observed }));
    expect(plan.stages.map((s) => s.name)).toEqual(['routes', 'certificate']);
  });
});
