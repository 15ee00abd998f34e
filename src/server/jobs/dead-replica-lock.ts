import type { LockRecord, ReplicaRecord } from '../../store/index.js';

/**
 * Whether a replica that took a job over may take over this environment lock: it is the dead replica's (its
 * host name and pid), held for the job's deployment — or for the deployment the job was about to plan, when it
 * had recorded none. Any other lock (another deployment of that replica, a CLI on another machine) stays. Pure.
 */
export function isDeadReplicaLock(
  lock: Pick<LockRecord, 'hostname' | 'pid' | 'deploymentId'>,
  dead: Pick<ReplicaRecord, 'hostname' | 'pid'> | undefined,
  jobDeploymentId: string | null,
): boolean {
  return (
    dead !== undefined &&
    lock.hostname === dead.hostname &&
    lock.pid === dead.pid &&
    (jobDeploymentId === null || lock.deploymentId === jobDeploymentId)
  );
}
