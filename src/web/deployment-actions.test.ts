import { describe, expect, it } from 'vitest';
import type { StepView } from '../server/api-types.js';
import { visibleActions } from './deployment-actions.js';

const ALL = { approve: true, reject: true, promote: true, abort: true };
const NONE = { approve: false, reject: false, promote: false, abort: false };

function step(index: number, kind: string, status: StepView['status']): StepView {
  return {
    index,
    stage: kind,
    phase: 'deploy',
    kind,
    title: kind,
    host: 'control-plane',
    status,
    startedAtMs: null,
    finishedAtMs: null,
    error: null,
    note: null,
  };
}

describe('visibleActions', () => {
  it('shows approve and reject only while the approval step waits', () => {
    const waiting = [step(0, 'await-approval', 'running'), step(1, 'start-target', 'pending')];
    expect(visibleActions(ALL, waiting)).toMatchObject({
      approve: true,
      reject: true,
      promote: false,
      abort: true,
    });
    const approved = [step(0, 'await-approval', 'succeeded'), step(1, 'start-target', 'running')];
    expect(visibleActions(ALL, approved)).toMatchObject({ approve: false, reject: false, abort: true });
  });

  it.each(['pause', 'analyze'])('shows promote while a %s step waits', (kind) => {
    expect(visibleActions(ALL, [step(0, 'set-weight', 'succeeded'), step(1, kind, 'running')]).promote).toBe(
      true,
    );
    expect(visibleActions(ALL, [step(0, 'set-weight', 'running'), step(1, kind, 'pending')]).promote).toBe(
      false,
    );
  });

  it('shows nothing the server does not allow, whatever the steps', () => {
    const steps = [step(0, 'await-approval', 'running'), step(1, 'pause', 'running')];
    expect(visibleActions(NONE, steps)).toEqual(NONE);
    expect(visibleActions({ ...NONE, abort: true }, steps)).toEqual({ ...NONE, abort: true });
  });
});
