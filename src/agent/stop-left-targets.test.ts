import { describe, expect, it } from 'vitest';
import type { TargetSpec } from './protocol.js';
import { judgeLeftTarget, type LeftTargetVerdict, type ProcessFacts } from './stop-left-targets.js';
import { newTargetRecord, type TargetRecord } from '../runtime/target-record.js';

const spec: TargetSpec = {
  id: 'hello-1-abc',
  app: 'hello',
  release: '1.0.0',
  command: 'node server.js',
  env: {},
  secretEnv: {},
  stopTimeoutMs: 5000,
  healthCheck: { path: '/', intervalMs: 100, timeoutMs: 1000, healthyThreshold: 1, unhealthyThreshold: 1 },
  restart: { initialBackoffMs: 100, maxBackoffMs: 1000 },
};

function record(overrides: Partial<TargetRecord> = {}): TargetRecord {
  return {
    ...newTargetRecord(spec, '/r', 4000, 0),
    pid: 321,
    pidStartTicks: 9000,
    state: 'running',
    ...overrides,
  };
}

const container = {
  image: 'sha256:x',
  socket: '/run/docker.sock',
  environment: 'p',
  memoryBytes: null,
  cpus: null,
};

describe('judgeLeftTarget', () => {
  const table: Array<[string, TargetRecord, ProcessFacts | null, LeftTargetVerdict]> = [
    [
      'its process, started when recorded',
      record(),
      { alive: true, startTicks: 9000 },
      { kind: 'stop-process', pid: 321 },
    ],
    [
      'a reused pid: another process, started later',
      record(),
      { alive: true, startTicks: 9500 },
      { kind: 'gone', note: 'pid 321 now belongs to another process, left alone' },
    ],
    ['a process that exited', record(), { alive: false, startTicks: undefined }, { kind: 'gone' }],
    ['waiting for a restart (no process)', record({ pid: null, state: 'backoff' }), null, { kind: 'gone' }],
    [
      'recorded as stopped',
      record({ state: 'stopped' }),
      { alive: true, startTicks: 9000 },
      { kind: 'gone' },
    ],
    [
      'no start time recorded: cannot tell',
      record({ pidStartTicks: null }),
      { alive: true, startTicks: 9000 },
      {
        kind: 'left-alone',
        why: 'cannot tell that pid 321 is still the target (no start time to compare); stop it yourself if it is',
      },
    ],
    [
      'a container: found by its label',
      record({ spec: { ...spec, container } }),
      null,
      { kind: 'stop-container' },
    ],
  ];
  it.each(table)('%s', (_name, r, facts, verdict) => {
    expect(judgeLeftTarget(r, facts)).toEqual(verdict);
  });
});
