import { describe, expect, it } from 'vitest';
import { newTargetRecord, recordCrash } from './target-record.js';
import type { TargetSpec } from '../agent/protocol.js';

const spec = {
  id: 'hello-1.0.0-abc',
  restart: { initialBackoffMs: 200, maxBackoffMs: 1000 },
} as unknown as TargetSpec;

describe('recordCrash', () => {
  it('doubles the wait up to the maximum, and starts over after a stable run', () => {
    const record = newTargetRecord(spec, '/releases/1.0.0', 4000, 0);
    const delays = [1, 2, 3, 4, 5].map((i) => recordCrash(record, { code: 1, signal: null }, i * 100));
    expect(delays).toEqual([200, 400, 800, 1000, 1000]);
    expect(record).toMatchObject({ state: 'backoff', pid: null, health: 'unknown' });
    expect(record.lastExit).toEqual({ code: 1, signal: null, atMs: 500 });
    record.startedAtMs = 1_000;
    expect(recordCrash(record, { code: null, signal: 'SIGKILL' }, 11_000)).toBe(200);
  });
});
