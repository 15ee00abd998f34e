import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../agent/protocol.js';
import {
  deriveUnhealthyReports,
  judgeBakeSample,
  type BakeRules,
  type BakeSample,
  type UnhealthyReport,
} from './judge-bake.js';

const bounds = [5, 10, 25, 50, 100, 250, 500, 1000];
const rules: BakeRules = { maxErrorRate: 0.05, maxP99Ms: 200, minRequests: 50, requireHealthy: true };
const healthy: BakeSample['targets'] = [
  { host: 'local', targetId: 't1', state: 'running', health: 'healthy' },
];

const reportOf = (targetId: string, host = 'local'): UnhealthyReport => ({
  host,
  targetId,
  detail: 'failed its health check 3 times in a row while serving: GET /healthz answered 503',
});

function sample(
  requests: number,
  errors: number,
  slowBucket = 1,
  targets = healthy,
  unhealthyReports: UnhealthyReport[] = [],
): BakeSample {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  counts[slowBucket] = requests;
  return {
    window: { requests, errors5xx: errors, proxyErrors: 0, latency: { boundsMs: bounds, counts } },
    targets,
    unhealthyReports,
  };
}

describe('bake judgement', () => {
  it.each<[string, BakeSample, boolean]>([
    ['no traffic and healthy: passes', sample(0, 0), false],
    ['healthy traffic', sample(200, 1), false],
    ['a clearly bad error rate', sample(60, 20), true],
    ['one early error out of three is not enough', sample(3, 1), false],
    ['p99 above the limit', sample(200, 0, 7), true],
    ['p99 above the limit but too few requests', sample(10, 0, 7), false],
    ['an unhealthy target', sample(0, 0, 1, [{ ...healthy[0]!, health: 'unhealthy' }]), true],
    ['a target in backoff (crashed)', sample(0, 0, 1, [{ ...healthy[0]!, state: 'backoff' }]), true],
    ['a target that is gone', sample(0, 0, 1, [{ ...healthy[0]!, state: null, health: null }]), true],
    ['a target reported unhealthy while serving', sample(0, 0, 1, healthy, [reportOf('t1')]), true],
    [
      'a target reported unhealthy that recovered before the sample (it flapped)',
      sample(200, 0, 1, healthy, [reportOf('t1')]),
      true,
    ],
    [
      "a report about another host's target of the same id",
      sample(0, 0, 1, healthy, [reportOf('t1', 'b')]),
      false,
    ],
    ['a report about a target not of this release', sample(0, 0, 1, healthy, [reportOf('t0')]), false],
  ])('%s', (_name, s, failed) => {
    const judgement = judgeBakeSample(s, rules);
    expect(judgement.failed).toBe(failed);
    expect(judgement.reasons.length > 0).toBe(failed);
  });

  it('names the new release, not a canary, in its reasons', () => {
    expect(judgeBakeSample(sample(60, 20), rules).reasons[0]).toMatch(/^new release 5xx rate/);
  });

  it('says why a reported target failed, once per target', () => {
    const s = sample(0, 0, 1, [{ ...healthy[0]!, health: 'unhealthy' }], [reportOf('t1'), reportOf('t1')]);
    expect(judgeBakeSample(s, rules).reasons).toEqual([
      'target t1 on local failed its health check 3 times in a row while serving: GET /healthz answered 503',
    ]);
  });

  it('ignores reports when the health rule is off', () => {
    expect(
      judgeBakeSample(sample(0, 0, 1, healthy, [reportOf('t1')]), { ...rules, requireHealthy: false }).failed,
    ).toBe(false);
  });

  it('ignores health when the rule is off', () => {
    const s = sample(0, 0, 1, [{ ...healthy[0]!, health: 'unhealthy' }]);
    expect(judgeBakeSample(s, { ...rules, requireHealthy: false }).failed).toBe(false);
  });
});

describe('unhealthy reports from agent events', () => {
  const event = (
    seq: number,
    kind: string,
    targetId: string | null,
    data?: Record<string, unknown>,
  ): AgentEvent => ({
    seq,
    atMs: 1_000 + seq,
    kind,
    app: 'hello',
    targetId,
    release: '2.0.0',
    message: `event ${seq}`,
    ...(data ? { data } : {}),
  });
  const ids = new Set(['hello-2.0.0-a']);

  it.each<[string, AgentEvent[], UnhealthyReport[]]>([
    ['no events', [], []],
    [
      'a report with its numbers',
      [
        event(1, 'target.unhealthy', 'hello-2.0.0-a', {
          consecutiveFailures: 3,
          reason: 'GET /healthz answered 503',
        }),
      ],
      [
        {
          host: 'h1',
          targetId: 'hello-2.0.0-a',
          detail: 'failed its health check 3 times in a row while serving: GET /healthz answered 503',
        },
      ],
    ],
    [
      'one failure is one time',
      [event(1, 'target.unhealthy', 'hello-2.0.0-a', { consecutiveFailures: 1, reason: 'timed out' })],
      [
        {
          host: 'h1',
          targetId: 'hello-2.0.0-a',
          detail: 'failed its health check 1 time in a row while serving: timed out',
        },
      ],
    ],
    [
      'a report without data falls back to its message',
      [event(4, 'target.unhealthy', 'hello-2.0.0-a')],
      [{ host: 'h1', targetId: 'hello-2.0.0-a', detail: 'was reported unhealthy while serving: event 4' }],
    ],
    [
      'other kinds, other targets and host-wide events are not reports',
      [
        event(1, 'target.healthy', 'hello-2.0.0-a'),
        event(2, 'target.exited', 'hello-2.0.0-a'),
        event(3, 'target.unhealthy', 'hello-1.0.0-z', { consecutiveFailures: 3, reason: 'x' }),
        event(4, 'agent.started', null),
      ],
      [],
    ],
  ])('%s', (_name, events, reports) => {
    expect(deriveUnhealthyReports('h1', events, ids)).toEqual(reports);
  });
});
