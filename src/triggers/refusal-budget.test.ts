import { describe, expect, it } from 'vitest';
import {
  deriveClosedWindow,
  deriveRefusalVerdict,
  EMPTY_REFUSAL_BUDGET,
  MAX_SUMMARY_ADDRESSES,
  type RefusalBudgetState,
  type RefusalVerdict,
} from './refusal-budget.js';

const LIMITS = { windowMs: 60_000, rowsPerWindow: 2 };
const T0 = 1_000_000;

/** Runs refusals (time offset, reason, address) through the budget, answering each verdict and the last state. */
function run(refusals: [number, string, string][], from: RefusalBudgetState = EMPTY_REFUSAL_BUDGET) {
  let state = from;
  const verdicts: Omit<RefusalVerdict, 'state'>[] = [];
  for (const [offsetMs, reason, remoteAddress] of refusals) {
    const verdict = deriveRefusalVerdict(state, { atMs: T0 + offsetMs, reason, remoteAddress }, LIMITS);
    state = verdict.state;
    verdicts.push({ write: verdict.write, summary: verdict.summary });
  }
  return { verdicts, state };
}

describe('deriveRefusalVerdict', () => {
  it('writes the first refusals of a window, counts the rest, and hands the count over when it closed', () => {
    const { verdicts } = run([
      [0, 'unsigned', 'a'],
      [1, 'unsigned', 'a'],
      [2, 'unsigned', 'b'],
      [3, 'mismatch', 'a'],
      [59_999, 'unsigned', 'c'],
      [60_000, 'unsigned', 'a'],
      [60_001, 'unsigned', 'a'],
    ]);
    expect(verdicts.map((v) => v.write)).toEqual([true, true, false, false, false, true, true]);
    expect(verdicts.map((v) => v.summary)).toEqual([
      null,
      null,
      null,
      null,
      null,
      {
        count: 3,
        fromMs: T0,
        toMs: T0 + 60_000,
        byReason: { unsigned: 2, mismatch: 1 },
        remoteAddresses: ['b', 'a', 'c'],
        moreRemoteAddresses: false,
      },
      null,
    ]);
  });

  it('hands over no count for a window that stayed within its budget', () => {
    const { verdicts } = run([
      [0, 'unsigned', 'a'],
      [120_000, 'unsigned', 'a'],
    ]);
    expect(verdicts).toEqual([
      { write: true, summary: null },
      { write: true, summary: null },
    ]);
  });

  it('names a few addresses of a flood from many, and says there were others', () => {
    const flood: [number, string, string][] = Array.from({ length: 50 }, (_, i) => [
      i,
      'unsigned',
      `10.0.0.${i}`,
    ]);
    const { state } = run(flood);
    expect(state.counted.count).toBe(48);
    expect(state.counted.remoteAddresses).toHaveLength(MAX_SUMMARY_ADDRESSES);
    expect(state.counted.moreRemoteAddresses).toBe(true);
  });
});

describe('deriveClosedWindow', () => {
  const { state: flooded } = run([
    [0, 'unsigned', 'a'],
    [1, 'unsigned', 'a'],
    [2, 'too-old', 'a'],
  ]);

  it.each([
    ['an open window', T0 + 59_999, false, null],
    ['a closed window', T0 + 60_000, false, { count: 1, fromMs: T0, toMs: T0 + 60_000 }],
    ['a window closed much later', T0 + 600_000, false, { count: 1, fromMs: T0, toMs: T0 + 60_000 }],
    ['an open window, forced', T0 + 10, true, { count: 1, fromMs: T0, toMs: T0 + 10 }],
  ])('%s', (_name, nowMs, force, summary) => {
    const closed = deriveClosedWindow(flooded, nowMs, LIMITS, { force });
    expect(closed.summary).toEqual(summary === null ? null : expect.objectContaining(summary));
    expect(closed.state).toEqual(summary === null ? flooded : EMPTY_REFUSAL_BUDGET);
  });

  it('has nothing to say before any refusal, or for a window without a count', () => {
    expect(deriveClosedWindow(EMPTY_REFUSAL_BUDGET, T0, LIMITS, { force: true }).summary).toBeNull();
    const { state } = run([[0, 'unsigned', 'a']]);
    expect(deriveClosedWindow(state, T0 + 60_000, LIMITS)).toEqual({
      state: EMPTY_REFUSAL_BUDGET,
      summary: null,
    });
  });
});
