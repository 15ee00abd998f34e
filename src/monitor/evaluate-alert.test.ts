import { describe, expect, it } from 'vitest';
import { parseAlertCondition, type AlertCondition } from '../config/alert-condition.js';
import { evaluateAlert, type AlertState } from './evaluate-alert.js';

const condition = parseAlertCondition('errorRate > 2%') as AlertCondition;

describe('evaluateAlert', () => {
  // previous phase/since, for (ms), value, now → next phase/since, transition
  const table: Array<[string, AlertState, number, number | null, number, AlertState, string | null]> = [
    [
      'stays ok below the threshold',
      { phase: 'ok', sinceMs: 0 },
      120_000,
      1,
      10,
      { phase: 'ok', sinceMs: 0 },
      null,
    ],
    [
      'goes pending when it holds',
      { phase: 'ok', sinceMs: 0 },
      120_000,
      5,
      10,
      { phase: 'pending', sinceMs: 10 },
      null,
    ],
    [
      'fires at once with for 0',
      { phase: 'ok', sinceMs: 0 },
      0,
      5,
      10,
      { phase: 'firing', sinceMs: 10 },
      'fired',
    ],
    [
      'stays pending before for has passed',
      { phase: 'pending', sinceMs: 10 },
      120_000,
      5,
      60_000,
      { phase: 'pending', sinceMs: 10 },
      null,
    ],
    [
      'fires once for has passed',
      { phase: 'pending', sinceMs: 10 },
      120_000,
      5,
      120_010,
      { phase: 'firing', sinceMs: 120_010 },
      'fired',
    ],
    [
      'pending back to ok without a transition',
      { phase: 'pending', sinceMs: 10 },
      120_000,
      1,
      50,
      { phase: 'ok', sinceMs: 50 },
      null,
    ],
    [
      'keeps firing while it holds',
      { phase: 'firing', sinceMs: 10 },
      0,
      9,
      99,
      { phase: 'firing', sinceMs: 10 },
      null,
    ],
    [
      'resolves when it stops holding',
      { phase: 'firing', sinceMs: 10 },
      0,
      2,
      99,
      { phase: 'ok', sinceMs: 99 },
      'resolved',
    ],
    [
      'no data keeps a firing rule firing',
      { phase: 'firing', sinceMs: 10 },
      0,
      null,
      99,
      { phase: 'firing', sinceMs: 10 },
      null,
    ],
    [
      'no data never fires',
      { phase: 'pending', sinceMs: 10 },
      0,
      null,
      99_999,
      { phase: 'pending', sinceMs: 10 },
      null,
    ],
  ];
  it.each(table)('%s', (_name, previous, forMs, value, now, state, transition) => {
    expect(evaluateAlert(previous, condition, forMs, value, now)).toEqual({ state, transition });
  });

  it('gives one transition per change over a run of rounds', () => {
    const values = [0, 5, 5, 5, 0, 0, 5, 0];
    let state: AlertState = { phase: 'ok', sinceMs: 0 };
    const transitions: string[] = [];
    values.forEach((v, i) => {
      const step = evaluateAlert(state, condition, 1_000, v, i * 1_000);
      state = step.state;
      if (step.transition) transitions.push(`${i}:${step.transition}`);
    });
    expect(transitions).toEqual(['2:fired', '4:resolved']);
  });
});

describe('parseAlertCondition', () => {
  it.each([
    ['errorRate > 2%', { metric: 'errorRate', op: '>', threshold: 2 }],
    ['p99 >= 300ms', { metric: 'p99', op: '>=', threshold: 300 }],
    ['p99 > 1.5s', { metric: 'p99', op: '>', threshold: 1500 }],
    ['disk > 90%', { metric: 'disk', op: '>', threshold: 90 }],
    ['restarts>2', { metric: 'restarts', op: '>', threshold: 2 }],
    ['requestRate < 1', { metric: 'requestRate', op: '<', threshold: 1 }],
  ])('%s', (text, parsed) => {
    expect(parseAlertCondition(text)).toEqual(parsed);
  });

  it.each([
    ['errors > 2%', 'unknown metric "errors"'],
    ['restarts > 2%', 'restarts is not a percentage'],
    ['cpu > 2s', 'cpu takes no time unit'],
    ['errorRate is high', 'expected "<metric> <op> <number>[unit]"'],
  ])('refuses %s', (text, message) => {
    expect(parseAlertCondition(text)).toEqual({ error: expect.stringContaining(message) as string });
  });
});
