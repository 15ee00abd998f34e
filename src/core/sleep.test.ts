import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS } from './duration.js';
import { sleepUnlessAborted } from './sleep.js';

describe('sleepUnlessAborted', () => {
  it('waits past the longest timer instead of ending at once (a 30-day pause of a plan stored long ago)', async () => {
    const stop = new AbortController();
    const order: string[] = [];
    const long = sleepUnlessAborted(30 * 86_400_000, stop.signal).then(
      () => order.push('30 days ended'),
      () => order.push('30 days aborted'),
    );
    // Node fires a timer past 2^31-1 ms after 1 ms: it would end before this 20 ms one.
    await new Promise((r) => setTimeout(r, 20));
    order.push('20 ms');
    stop.abort();
    await long;
    expect(order).toEqual(['20 ms', '30 days aborted']);
  });

  it('waits exactly the longest timer in one step', async () => {
    const stop = new AbortController();
    const waiting = sleepUnlessAborted(MAX_TIMER_MS, stop.signal).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    stop.abort(new Error('stopped'));
    expect(await waiting).toEqual(new Error('stopped'));
  });
});
