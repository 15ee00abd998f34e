import { describe, expect, it } from 'vitest';
import type { Step } from '../plan/steps.js';
import { describeBatchRecovery, type RecoveryStepOutcome } from './describe-batch-recovery.js';

const switchBack = (host: string): Step => ({
  kind: 'switch-traffic',
  host,
  app: 'hello',
  targetId: `old-${host}`,
  release: '1.0.0',
  drainTimeoutMs: 1000,
});
const stopNew = (host: string): Step => ({
  kind: 'stop-target',
  host,
  targetId: `new-${host}`,
  release: '2.0.0',
  drainTimeoutMs: 1000,
});
const backInEdge = (member: string): Step => ({
  kind: 'set-edge-member',
  host: 'edge',
  app: 'hello',
  member,
  enabled: true,
  drainTimeoutMs: 1000,
});
const ok: RecoveryStepOutcome = { status: 'succeeded' };
const notTried: RecoveryStepOutcome = { status: 'not-tried' };
const failed = (error: string): RecoveryStepOutcome => ({ status: 'failed', error });
const ERROR = 'health check 2.0.0 on web2 failed';

describe('describeBatchRecovery', () => {
  const cases: Array<{
    name: string;
    hosts: string[];
    edge: boolean;
    steps: Array<[Step, RecoveryStepOutcome]>;
    says: string;
  }> = [
    {
      name: 'every put-back step succeeded',
      hosts: ['web2'],
      edge: true,
      steps: [
        [switchBack('web2'), ok],
        [stopNew('web2'), ok],
        [backInEdge('web2'), ok],
      ],
      says: `batch 2 failed and was put back on the previous release (web2: back on 1.0.0, 2.0.0 stopped, back in the edge): ${ERROR}`,
    },
    {
      name: 'the switch back timed out on a host whose link was cut; the put-back stopped there',
      hosts: ['web2', 'web3'],
      edge: true,
      steps: [
        [switchBack('web2'), ok],
        [switchBack('web3'), failed('ssh: timed out after 10s\nhint: is web3 reachable?')],
        [stopNew('web2'), notTried],
        [stopNew('web3'), notTried],
        [backInEdge('web2'), notTried],
        [backInEdge('web3'), notTried],
      ],
      says:
        'batch 2 failed and was not all put back (web2: back on 1.0.0, 2.0.0 not stopped, still out of the edge; ' +
        'web3: switching back to 1.0.0 failed (ssh: timed out after 10s), 2.0.0 not stopped, still out of the edge; ' +
        `the put-back stopped at its first failure): ${ERROR}`,
    },
    {
      name: 'back on the old release, but the edge did not take the host back',
      hosts: ['web2'],
      edge: true,
      steps: [
        [switchBack('web2'), ok],
        [stopNew('web2'), ok],
        [backInEdge('web2'), failed('edge: connection refused')],
      ],
      says: `batch 2 failed and was not all put back (web2: back on 1.0.0, 2.0.0 stopped, still out of the edge (putting it back failed: edge: connection refused)): ${ERROR}`,
    },
    {
      name: 'a host with nothing to go back to stays out of the edge',
      hosts: ['web2'],
      edge: true,
      steps: [[stopNew('web2'), ok]],
      says: `batch 2 failed and was not all put back (web2: no previous release to go back to, 2.0.0 stopped, left out of the edge): ${ERROR}`,
    },
    {
      name: 'without an edge, nothing is said about one',
      hosts: ['web2'],
      edge: false,
      steps: [
        [switchBack('web2'), ok],
        [stopNew('web2'), failed('agent: no such target')],
      ],
      says: `batch 2 failed and was not all put back (web2: back on 1.0.0, stopping 2.0.0 failed (agent: no such target)): ${ERROR}`,
    },
  ];
  it.each(cases)('$name', ({ hosts, edge, steps, says }) => {
    expect(
      describeBatchRecovery({
        batch: 2,
        hosts,
        edge,
        steps: steps.map(([step, outcome]) => ({ step, outcome })),
        error: ERROR,
      }),
    ).toBe(says);
  });
});
