import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { environmentRoute } from '../config/environment-config.js';
import { InputError, SlipwayError, UnknownNameError } from '../core/errors.js';
import { deriveDeploymentId, sanitize } from '../core/ids.js';
import type { Project } from '../control-plane/open-project.js';
import { withDeployLock } from '../executor/deploy-lock.js';
import { sha256File } from '../agent/release-dirs.js';
import type { Host } from '../hosts/host.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { observeHosts } from '../hosts/observe-hosts.js';
import type { BackupRecord } from '../store/index.js';
import { requireBackup } from './restore-backup.js';

/** The format of a backup of a host's shared directories, beside the database's (`sqlite`, `pg_dump-custom`). */
export const SHARED_BACKUP_FORMAT = 'shared-tar';

/**
 * `slipway data backup <env> [--host H]`: each host's shared directories (`shared`) as one archive, taken by the
 * host's agent, fetched to `<state>/backups/<env>/`, its hash checked against the agent's, and recorded beside the
 * database's backups (`slipway db backups` lists both); the file on the host is removed. Ledgered as
 * `data.backed-up`. One backup per host: hosts keep their own files.
 */
export async function backupSharedDirs(
  project: Project,
  environment: string,
  options: { host?: string } = {},
): Promise<BackupRecord[]> {
  requireShared(project);
  const hosts = pickHosts(project, environment, options.host);
  const dir = join(project.stateDir, 'backups', sanitize(environment));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const records: BackupRecord[] = [];
  for (const host of hosts) {
    const agent = await host.agent();
    const archive = await agent.call('archiveShared', { app: project.config.app });
    const atMs = project.clock.nowMs();
    const id = `shared-${sanitize(host.name)}-${new Date(atMs).toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
    const path = join(dir, `${id}.tar.gz`);
    try {
      await host.fetchFile(archive.path, `${path}.tmp`);
      const fetched = await sha256File(`${path}.tmp`);
      if (fetched !== archive.sha256) {
        throw new SlipwayError(
          `the archive fetched from ${host.name} is damaged (hash ${fetched.slice(0, 12)})`,
          {
            hint: 'take the backup again',
          },
        );
      }
      await rename(`${path}.tmp`, path);
    } finally {
      await rm(`${path}.tmp`, { force: true });
      await host.exec(['rm', '-f', archive.path]);
    }
    const record: BackupRecord = {
      id,
      app: project.config.app,
      environment,
      release: (await servingRelease(project, environment, host)) ?? '-',
      deploymentId: null,
      format: SHARED_BACKUP_FORMAT,
      path,
      sizeBytes: (await stat(path)).size,
      sha256: archive.sha256,
      tables: archive.files,
      createdAtMs: atMs,
    };
    await project.store.recordBackup(record);
    await project.store.appendEvent({
      atMs,
      actor: project.actor,
      app: project.config.app,
      environment,
      release: record.release,
      kind: 'data.backed-up',
      message: `backed up the shared directories of ${host.name} (${archive.files} entries, ${record.sizeBytes} bytes) as ${id}`,
      data: { backup: id, host: host.name, files: archive.files, sizeBytes: record.sizeBytes },
    });
    records.push(record);
  }
  return records;
}

/**
 * `slipway data restore <env> --backup ID --host H`: the backup's archive is uploaded to the host and becomes its
 * shared directories (the agent checks its hash, unpacks it beside them and swaps it in; what was there is kept as
 * `shared/<app>.before-<ID>`). Any host of the environment, also one the backup was not taken on (a fresh host).
 * Holds the environment's lock, so no deploy runs meanwhile. Ledgered as `data.restored`.
 */
export async function restoreSharedDirs(
  project: Project,
  environment: string,
  request: { backupId: string; host: string },
): Promise<{ keptAt: string | null; files: number }> {
  const backup = await requireBackup(project, environment, request.backupId);
  if (backup.format !== SHARED_BACKUP_FORMAT) {
    throw new InputError(`backup ${backup.id} is of the database, not of shared directories`, {
      hint: `"slipway db restore ${environment} --backup ${backup.id}" restores it`,
    });
  }
  const [host] = pickHosts(project, environment, request.host);
  if (!host) throw new UnknownNameError(`${request.host} is not a host of ${environment}`);
  const lockId = deriveDeploymentId(project.clock.nowMs(), project.randomSuffix());
  return withDeployLock(project, environment, lockId, {}, async () => {
    const archive = await host.putArtifact(backup.path, backup.sha256);
    const agent = await host.agent();
    const result = await agent.call('restoreShared', {
      app: project.config.app,
      archive,
      sha256: backup.sha256,
      backupId: backup.id,
    });
    await project.store.appendEvent({
      atMs: project.clock.nowMs(),
      actor: project.actor,
      app: project.config.app,
      environment,
      release: backup.release,
      kind: 'data.restored',
      message: `restored the shared directories of ${host.name} from ${backup.id} (${result.files} entries)${result.keptAt ? `; what was there is kept at ${result.keptAt}` : ''}`,
      data: { backup: backup.id, host: host.name, keptAt: result.keptAt },
    });
    return result;
  });
}

function requireShared(project: Project): void {
  if (project.config.shared.length === 0) {
    throw new InputError('this app has no shared directories (`shared` in slipway.yml) to back up', {
      hint:
        project.config.runtime.kind === 'docker'
          ? 'backups of named volumes (runtime.volumes) are not built yet'
          : 'e.g. shared: [storage]',
    });
  }
}

function pickHosts(project: Project, environment: string, name: string | undefined): Host[] {
  const hosts = hostsOf(project, environment);
  if (name === undefined) return hosts;
  const host = hosts.find((h) => h.name === name);
  if (!host) {
    throw new UnknownNameError(`${name} is not a host of ${environment}`, {
      hint: `its hosts: ${hosts.map((h) => h.name).join(', ')}`,
    });
  }
  return [host];
}

async function servingRelease(project: Project, environment: string, host: Host): Promise<string | null> {
  const route = environmentRoute(project.config, environment);
  const [observed] = await observeHosts([host], project.config.app, { route, startAgents: false });
  return observed?.active?.release ?? null;
}
