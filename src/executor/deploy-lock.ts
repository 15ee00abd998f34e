import { hostname } from 'node:os';
import { isProcessAlive } from '../agent/process-util.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { LockRecord } from '../store/index.js';

/** How a deployment takes an environment's lock: who to tell of a takeover, and which other locks are stale. */
export interface LockOptions {
  onLockTakeover?: (lock: LockRecord) => void;
  /**
   * Also takes over a lock this says is stale (beyond a dead process on this machine): the server's replica
   * that took over a job takes over its dead replica's lock, for that deployment only.
   */
  isLockStale?: (lock: LockRecord) => boolean;
}

/** A lock is stale when its holder ran on this machine and that process is gone. */
export function isLockStale(lock: LockRecord): boolean {
  return lock.hostname === hostname() && !isProcessAlive(lock.pid);
}

/**
 * Runs `body` holding the environment's deploy lock for `deploymentId`, and releases the lock however `body` ends
 * (a lock refused throws before `body` runs). Released only if this process still holds it: a server replica that
 * was presumed dead may find its lock taken over, for the same deployment, by another replica.
 */
export async function withDeployLock<T>(
  cp: Pick<ControlPlane, 'store' | 'config' | 'actor' | 'clock'>,
  environment: string,
  deploymentId: string,
  options: LockOptions,
  body: () => Promise<T>,
): Promise<T> {
  const holder = { pid: process.pid, hostname: hostname() };
  const acquisition = await cp.store.acquireLock(
    {
      app: cp.config.app,
      environment,
      holder: cp.actor,
      ...holder,
      deploymentId,
      atMs: cp.clock.nowMs(),
    },
    (lock) => isLockStale(lock) || (options.isLockStale?.(lock) ?? false),
  );
  try {
    if (acquisition.tookOverFrom) options.onLockTakeover?.(acquisition.tookOverFrom);
    return await body();
  } finally {
    await cp.store.releaseLock(cp.config.app, environment, deploymentId, holder);
  }
}
