import { describe, expect, it } from 'vitest';
import { deriveResumable } from './derive-phase.js';

const bases = { onFailure: 1000, recovery: 2000 };
const rolling = (onBatchFailure: 'stop' | 'rollback-batch') => ({
  batches: { failureBudget: 1, onBatchFailure, recover: {} },
});

describe('deriveResumable', () => {
  const cases: Array<{
    name: string;
    outcome: 'failed' | 'succeeded' | 'rolled-back' | 'aborted' | null;
    plan: unknown;
    steps: number[];
    resumable: boolean;
  }> = [
    {
      name: 'interrupted',
      outcome: null,
      plan: rolling('rollback-batch'),
      steps: [0, 2000],
      resumable: true,
    },
    { name: 'failed, nothing undone', outcome: 'failed', plan: {}, steps: [0, 1, 2], resumable: true },
    {
      name: 'failed, on-failure stages ran',
      outcome: 'failed',
      plan: {},
      steps: [0, 1000],
      resumable: false,
    },
    {
      name: 'rollback-batch: the batch was put back',
      outcome: 'failed',
      plan: rolling('rollback-batch'),
      steps: [0, 5, 2000, 2001],
      resumable: false,
    },
    {
      name: 'stop: the batch left as it is',
      outcome: 'failed',
      plan: rolling('stop'),
      steps: [0, 5],
      resumable: true,
    },
    {
      name: 'stop: a host put back within the budget earlier',
      outcome: 'failed',
      plan: rolling('stop'),
      steps: [0, 5, 2000, 2001, 2002, 9],
      resumable: true,
    },
    {
      name: 'stop: a failure outside any batch ran the on-failure stages',
      outcome: 'failed',
      plan: rolling('stop'),
      steps: [0, 1000],
      resumable: false,
    },
    { name: 'succeeded', outcome: 'succeeded', plan: {}, steps: [0], resumable: false },
    { name: 'rolled back', outcome: 'rolled-back', plan: {}, steps: [0, 1000], resumable: false },
    { name: 'aborted', outcome: 'aborted', plan: {}, steps: [0], resumable: false },
  ];
  it.each(cases)('$name → $resumable', ({ outcome, plan, steps, resumable }) => {
    expect(
      deriveResumable(
        { outcome, plan },
        steps.map((index) => ({ index })),
        bases,
      ),
    ).toBe(resumable);
  });
});
