import { describe, expect, it } from 'vitest';
import { MemberOutcomes } from './member-outcomes.js';

describe('MemberOutcomes', () => {
  const spec = {
    connectTimeoutMs: 1_000,
    answerTimeoutMinMs: 1_000,
    answerTimeoutMaxMs: 10_000,
    retryBudget: 0.2,
    ejectAfter: 3,
  };

  it("follows the member's recent p99 and forgets answers older than a minute", () => {
    const m = new MemberOutcomes();
    expect(m.answerBoundMs(0, spec)).toBe(1_000);
    for (let i = 0; i < 98; i++) m.answered(1_000, 20);
    m.answered(1_000, 4_000);
    m.answered(1_000, 4_000);
    expect(m.answerBoundMs(2_000, spec)).toBeGreaterThan(2_500); // p99 in the 2.5–5 s bucket
    expect(m.answerBoundMs(2_000, spec)).toBeLessThanOrEqual(5_000);
    expect(m.answerBoundMs(70_000, spec)).toBe(1_000);
  });

  it('counts timeouts in a row until an answer, and silence since the last answer', () => {
    const m = new MemberOutcomes();
    expect(m.silentForMs(5)).toBe(Infinity);
    expect([m.timedOut(), m.timedOut()]).toEqual([1, 2]);
    m.answered(100, 3);
    expect(m.consecutiveTimeouts).toBe(0);
    expect(m.silentForMs(350)).toBe(250);
    m.timedOut();
    m.forgetTimeouts();
    expect(m.consecutiveTimeouts).toBe(0);
  });

  it('keeps retries within the budget of its requests over 10 s', () => {
    const m = new MemberOutcomes();
    for (let i = 0; i < 20; i++) m.sent(0);
    const taken = [];
    for (let i = 0; i < 6; i++) {
      const allowed = m.retryBudgetAllows(100, spec);
      taken.push(allowed);
      if (allowed) m.retriedAway(100);
    }
    expect(taken).toEqual([true, true, true, true, false, false]); // 20% of 20 = 4
    expect(m.retryBudgetAllows(10_500, spec)).toBe(true); // the window moved on: the minimum again
  });
});
