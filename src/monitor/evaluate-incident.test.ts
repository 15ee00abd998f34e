import { describe, expect, it } from 'vitest';
import { evaluateIncident, type IncidentState } from './evaluate-incident.js';

describe('evaluateIncident', () => {
  it('opens after the configured failures in a row, once, and resolves at the first success', () => {
    const checks = [true, false, true, false, false, false, true, true];
    let state: IncidentState = { open: false, failures: 0, sinceMs: 0 };
    const transitions: string[] = [];
    checks.forEach((ok, i) => {
      const step = evaluateIncident(state, ok, 2, i);
      state = step.state;
      if (step.transition) transitions.push(`${i}:${step.transition}`);
    });
    expect(transitions).toEqual(['4:opened', '6:resolved']);
    expect(state).toEqual({ open: false, failures: 0, sinceMs: 6 });
  });
});
