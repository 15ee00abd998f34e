import { describe, expect, it } from 'vitest';
import type { JobRecord } from './job-runner.js';
import { deriveJobLane, isJobOrphaned, selectClaimableJobs } from './select-jobs.js';

const T0 = Date.UTC(2025, 0, 15, 9, 30);

function aJob(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    kind: 'deploy',
    environment: 'production',
    payload: {},
    state: 'queued',
    requestedBy: 'ana',
    createdAtMs: T0,
    owner: null,
    startedAtMs: null,
    heartbeatAtMs: null,
    finishedAtMs: null,
    deploymentId: null,
    release: null,
    error: null,
    takeovers: 0,
    ...overrides,
  };
}

describe('selectClaimableJobs', () => {
  it.each([
    {
      name: 'the oldest job of each lane',
      queued: ['p1:production', 'p2:production', 's1:staging'],
      running: [],
      want: ['p1', 's1'],
    },
    {
      name: 'nothing of a lane with a running job',
      queued: ['p1:production', 's1:staging'],
      running: ['production'],
      want: ['s1'],
    },
    {
      name: 'release builds one at a time',
      queued: ['r1:', 'r2:', 'p1:production'],
      running: [],
      want: ['r1', 'p1'],
    },
    { name: 'no build while one runs', queued: ['r1:'], running: [''], want: [] },
  ])('$name', ({ queued, running, want }) => {
    const jobs = queued.map((q) => {
      const [id, env] = q.split(':') as [string, string];
      return aJob(id, env === '' ? { kind: 'release', environment: null } : { environment: env });
    });
    const busy = running.map((env) =>
      env === ''
        ? { kind: 'release' as const, environment: null }
        : { kind: 'deploy' as const, environment: env },
    );
    expect(selectClaimableJobs(jobs, busy).map((j) => j.id)).toEqual(want);
  });

  it('puts deploy, rollback and resume of one environment in one lane', () => {
    const lanes = (['deploy', 'rollback', 'resume'] as const).map((kind) =>
      deriveJobLane({ kind, environment: 'production' }),
    );
    expect(new Set(lanes).size).toBe(1);
  });
});

describe('isJobOrphaned', () => {
  const running = aJob('j', { state: 'running', owner: 'r1', heartbeatAtMs: T0 });
  it.each([
    { name: 'fresh heartbeat', job: running, nowMs: T0 + 14_999, want: false },
    { name: 'silent for the takeover time', job: running, nowMs: T0 + 15_000, want: true },
    {
      name: 'handed off by a stopping replica (heartbeat 0)',
      job: { ...running, heartbeatAtMs: 0 },
      nowMs: T0,
      want: true,
    },
    { name: 'queued', job: aJob('q'), nowMs: T0 + 60_000, want: false },
    { name: 'finished', job: { ...running, state: 'succeeded' as const }, nowMs: T0 + 60_000, want: false },
  ])('$name → $want', ({ job, nowMs, want }) => {
    expect(isJobOrphaned(job, nowMs, 15_000)).toBe(want);
  });
});
