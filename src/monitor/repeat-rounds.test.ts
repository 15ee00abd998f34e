import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { repeatRounds } from './repeat-rounds.js';

describe('repeatRounds', () => {
  it('leaves no abort listener behind between rounds (a monitor used to add one per round)', async () => {
    const stop = new AbortController();
    const listeners: number[] = [];
    await repeatRounds(
      () => {
        listeners.push(getEventListeners(stop.signal, 'abort').length);
        if (listeners.length === 30) stop.abort();
        return Promise.resolve();
      },
      { intervalMs: 1, signal: stop.signal },
    );
    expect(listeners).toEqual(Array.from({ length: 30 }, () => 0));
  });

  it('runs once with `once`, and stops waiting as soon as the signal aborts', async () => {
    const stop = new AbortController();
    let rounds = 0;
    await repeatRounds(() => Promise.resolve(void rounds++), {
      intervalMs: 1,
      signal: stop.signal,
      once: true,
    });
    expect(rounds).toBe(1);

    const waiting = repeatRounds(() => Promise.resolve(void rounds++), {
      intervalMs: 3_600_000, // an hour: only the abort can end the wait
      signal: stop.signal,
    });
    await new Promise((r) => setImmediate(r)); // the round is done: the wait has begun
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    stop.abort();
    await waiting;
    expect(rounds).toBe(2);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});
