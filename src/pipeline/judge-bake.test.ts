import { describe, expect, it } from 'vitest';
import { judgeBakeSample, type BakeRules, type BakeSample } from './judge-bake.js';

const bounds = [5, 10, 25, 50, 100, 250, 500, 1000];
const rules: BakeRules = { maxErrorRate: 0.05, maxP99Ms: 200, minRequests: 50, requireHealthy: true };
const healthy: BakeSample['targets'] = [
  { host: 'local', targetId: 't1', state: 'running', health: 'healthy' },
];

function sample(requests: number, errors: number, slowBucket = 1, targets = healthy): BakeSample {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  counts[slowBucket] = requests;
  return {
    window: { requests, errors5xx: errors, proxyErrors: 0, latency: { boundsMs: bounds, counts } },
    targets,
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
  ])('%s', (_name, s, failed) => {
    const judgement = judgeBakeSample(s, rules);
    expect(judgement.failed).toBe(failed);
    expect(judgement.reasons.length > 0).toBe(failed);
  });

  it('names the new release, not a canary, in its reasons', () => {
    expect(judgeBakeSample(sample(60, 20), rules).reasons[0]).toMatch(/^new release 5xx rate/);
  });

  it('ignores health when the rule is off', () => {
    const s = sample(0, 0, 1, [{ ...healthy[0]!, health: 'unhealthy' }]);
    expect(judgeBakeSample(s, { ...rules, requireHealthy: false }).failed).toBe(false);
  });
});
