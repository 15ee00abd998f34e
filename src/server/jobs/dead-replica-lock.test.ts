import { describe, expect, it } from 'vitest';
import { isDeadReplicaLock } from './dead-replica-lock.js';

const dead = { hostname: 'web1', pid: 4242 };
const lock = { hostname: 'web1', pid: 4242, deploymentId: 'd1' };

describe('isDeadReplicaLock', () => {
  it.each([
    { name: "the dead replica's lock for the job's deployment", lock, job: 'd1', want: true },
    { name: 'its lock when the job had recorded no deployment yet', lock, job: null, want: true },
    {
      name: 'its lock for another deployment',
      lock: { ...lock, deploymentId: 'd2' },
      job: 'd1',
      want: false,
    },
    { name: 'a lock of another pid on its host', lock: { ...lock, pid: 7 }, job: 'd1', want: false },
    {
      name: 'a lock of the same pid on another host',
      lock: { ...lock, hostname: 'laptop' },
      job: 'd1',
      want: false,
    },
  ])('$name → $want', ({ lock: l, job, want }) => {
    expect(isDeadReplicaLock(l, dead, job)).toBe(want);
  });

  it('takes over nothing when the dead replica left no row', () => {
    expect(isDeadReplicaLock(lock, undefined, 'd1')).toBe(false);
  });
});
