import { describe, expect, it } from 'vitest';
import { decideGates, evaluateGates, type GateInput } from './gates.js';

const at = (iso: string): number => Date.parse(iso);
const NOW = at('2026-11-26T10:00:00Z');

const base: GateInput = {
  environment: 'production',
  release: '1.2.0',
  nowMs: NOW,
  previous: { environment: 'staging', succeeded: true, verification: { status: 'passed', failures: [] } },
  windows: [],
  freezes: [],
  notBeforeMs: null,
  freezeOverride: null,
  approvals: null,
  bakeDurationMs: null,
};
const freeze = { name: 'year-end', from: '2026-11-26 00:00', to: '2026-11-27 00:00', timezone: 'UTC' };
const afternoon = { cron: '* 14-15 * * *', timezone: 'UTC' };

describe('pipeline gates', () => {
  it.each<[string, Partial<GateInput>, ReturnType<typeof decideGates>]>([
    ['everything satisfied', {}, { kind: 'proceed' }],
    ['first environment (no previous)', { previous: null }, { kind: 'proceed' }],
    [
      'not run in the previous environment',
      {
        previous: {
          environment: 'staging',
          succeeded: false,
          verification: { status: 'none', failures: [] },
        },
      },
      { kind: 'refuse', reasons: ['1.2.0 has not been deployed to staging successfully'] },
    ],
    [
      'verification failed in the previous environment',
      {
        previous: {
          environment: 'staging',
          succeeded: true,
          verification: { status: 'failed', failures: ['smoke'] },
        },
      },
      { kind: 'refuse', reasons: ['verification in staging failed: smoke'] },
    ],
    [
      'no verification results count as passed',
      {
        previous: { environment: 'staging', succeeded: true, verification: { status: 'none', failures: [] } },
      },
      { kind: 'proceed' },
    ],
    [
      'no verification result where the previous environment verifies blocks',
      {
        previous: {
          environment: 'staging',
          succeeded: true,
          verification: { status: 'none', failures: [] },
          verifies: true,
        },
      },
      { kind: 'refuse', reasons: ['the release has no verification result in staging'] },
    ],
    [
      'a freeze in force',
      { freezes: [freeze] },
      { kind: 'refuse', reasons: ['freeze "year-end" is in force until 2026-11-27T00:00:00.000Z'] },
    ],
    [
      'a freeze overridden',
      { freezes: [freeze], freezeOverride: { by: 'ana', reason: 'hotfix' } },
      { kind: 'proceed' },
    ],
    [
      'a freeze that ends before the scheduled time',
      { freezes: [freeze], notBeforeMs: at('2026-11-27T00:00:00Z') },
      { kind: 'wait', startAtMs: at('2026-11-27T00:00:00Z') },
    ],
    [
      'a scheduled time inside a freeze',
      {
        freezes: [{ ...freeze, from: '2026-11-26 12:00' }],
        notBeforeMs: at('2026-11-26T13:00:00Z'),
      },
      { kind: 'refuse', reasons: ['freeze "year-end" is in force until 2026-11-27T00:00:00.000Z'] },
    ],
    [
      'outside the window: waits',
      { windows: [afternoon] },
      { kind: 'wait', startAtMs: at('2026-11-26T14:00:00Z') },
    ],
    ['inside the window', { windows: [afternoon], nowMs: at('2026-11-26T15:59:00Z') }, { kind: 'proceed' }],
    [
      'a window that never opens again',
      {
        windows: [{ cron: '0 0 1 1 *', timezone: 'UTC' }],
        nowMs: at('2026-11-26T10:00:00Z'),
        notBeforeMs: null,
      },
      { kind: 'wait', startAtMs: at('2027-01-01T00:00:00Z') },
    ],
  ])('%s', (_name, patch, decision) => {
    expect(decideGates(evaluateGates({ ...base, ...patch }))).toEqual(decision);
  });

  it('lists every gate in order, with the bake last', () => {
    const gates = evaluateGates({
      ...base,
      approvals: [{ role: 'approver', count: 2 }],
      windows: [afternoon],
      bakeDurationMs: 600_000,
    });
    expect(gates.map((g) => [g.kind, g.status])).toEqual([
      ['previous-environment', 'passed'],
      ['verification', 'passed'],
      ['approvals', 'waits'],
      ['freeze', 'passed'],
      ['window', 'waits'],
      ['bake', 'after'],
    ]);
    expect(gates.find((g) => g.kind === 'approvals')?.detail).toBe('needs approval by 2 × approver');
  });
});
