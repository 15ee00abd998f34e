import { describe, expect, it } from 'vitest';
import { formatHistoryEvent } from './format-history.js';

// `slipway history`: one event, one block. A message of several lines (a stderr tail, a hint) keeps the actor on
// the event's first line and its further lines under the message, so no line reads as an event of its own.

const AT = Date.UTC(2026, 11, 6, 23, 20, 43, 2);
const CRASHED = [
  'deploy of 3.0.0 to production rolled-back: release 3.0.0 did not become healthy on local: the target process exited with code 3',
  '--- last lines of stderr ---',
  'refusing to start',
  'hint: the app exited with code 3 as it started',
].join('\n');

describe('formatHistoryEvent', () => {
  it('prints a one-line event as one line, the actor at its end', () => {
    expect(
      formatHistoryEvent({
        atMs: AT,
        kind: 'deploy.succeeded',
        environment: 'production',
        message: 'deploy of 1.0.0 to production succeeded',
        actor: 'ada@laptop',
      }),
    ).toBe(
      '2026-12-06T23:20:43.002Z deploy.succeeded   production   deploy of 1.0.0 to production succeeded by ada@laptop\n',
    );
  });

  it('keeps a multi-line event in one block: the actor on its first line, the rest under the message', () => {
    const text = formatHistoryEvent({
      atMs: AT,
      kind: 'deploy.rolled-back',
      environment: 'production',
      message: `${CRASHED}\n`,
      actor: 'ada@laptop',
    });
    const lines = text.split('\n').slice(0, -1);
    const column = '2026-12-06T23:20:43.002Z deploy.rolled-back production   '.length;
    expect(lines).toEqual([
      '2026-12-06T23:20:43.002Z deploy.rolled-back production   deploy of 3.0.0 to production rolled-back: release 3.0.0 did not become healthy on local: the target process exited with code 3 by ada@laptop',
      `${' '.repeat(column)}--- last lines of stderr ---`,
      `${' '.repeat(column)}refusing to start`,
      `${' '.repeat(column)}hint: the app exited with code 3 as it started`,
    ]);
  });

  it('aligns the further lines under the message of its own event, with no environment and a long kind too', () => {
    const text = formatHistoryEvent({
      atMs: AT,
      kind: 'verification.succeeded',
      environment: null,
      message: 'first\nsecond',
      actor: 'ci',
    });
    const [first, second] = text.split('\n');
    expect(first).toBe('2026-12-06T23:20:43.002Z verification.succeeded -            first by ci');
    expect(second?.indexOf('second')).toBe(first?.indexOf('first'));
  });

  it('colours only the time and the actor', () => {
    const text = formatHistoryEvent(
      { atMs: AT, kind: 'k', environment: 'e', message: 'm', actor: 'a' },
      (s) => `<${s}>`,
    );
    expect(text).toBe('<2026-12-06T23:20:43.002Z> k                  e            m <by a>\n');
  });
});
