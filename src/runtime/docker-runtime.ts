import type Docker from 'dockerode';
import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import { redact } from '../core/secret.js';
import type { ContainerSpec, TargetSpec } from '../agent/protocol.js';
import {
  newTargetRecord,
  recordCrash,
  targetEvent,
  type SupervisorEvent,
  type TargetRecord,
} from './target-record.js';
import { connectDocker, isDockerNotFound, isDockerNotModified } from './docker-connect.js';
import { followContainerLogs, readContainerLogs } from './docker-logs.js';
import {
  APP_LABEL,
  deriveContainerConfig,
  deriveVolumeMounts,
  ENVIRONMENT_LABEL,
  TARGET_LABEL,
} from './container-config.js';
import { pruneImages } from './docker-images.js';
import type { LogLine, PruneRequest, Runtime } from './runtime.js';
import { targetSecretValues } from './target-secrets.js';

/**
 * Targets as containers through the host's Docker Engine (its unix socket; the control plane reaches the agent
 * over SSH, so the Docker port is never opened). The agent, not Docker's restart policy, restarts a crashed
 * container, with the same backoff and journal events as a process, so both runtimes behave alike.
 * A container is found again after an agent restart by its `dev.slipway.target` label.
 */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  readonly #targets = new Map<string, TargetRecord>();
  readonly #restartTimers = new Map<string, NodeJS.Timeout>();
  /** One wait per running container; aborted when the runtime detaches or the container is replaced. */
  readonly #waits = new Map<string, AbortController>();

  constructor(
    private readonly clock: Clock,
    private readonly onChange: () => void,
    private readonly onEvent: (event: SupervisorEvent) => void,
  ) {}

  get(id: string): TargetRecord | undefined {
    return this.#targets.get(id);
  }

  list(): TargetRecord[] {
    return [...this.#targets.values()];
  }

  async start(spec: TargetSpec, releaseDir: string, port: number): Promise<TargetRecord> {
    const container = requireContainer(spec);
    const record: TargetRecord = {
      ...newTargetRecord(spec, releaseDir, port, this.clock.nowMs()),
      containerId: null,
    };
    this.#targets.set(spec.id, record);
    try {
      const docker = await connectDocker(container.socket);
      await removeByLabel(docker, spec.id); // a leftover of an earlier attempt with this id
      await ensureVolumes(docker, spec.app, container);
      const created = await docker.createContainer(deriveContainerConfig(spec, container, port));
      record.containerId = created.id;
      await this.#run(record);
    } catch (err) {
      this.#targets.delete(spec.id);
      this.onChange();
      throw new SlipwayError(`could not start container for ${spec.id}: ${errorText(err)}`, {
        cause: err,
        hint: `is the image ${container.image.slice(0, 19)} on the host and the Docker Engine at ${container.socket} running?`,
      });
    }
    return record;
  }

  async adopt(record: TargetRecord): Promise<void> {
    if (record.state === 'stopped') return;
    const container = requireContainer(record.spec);
    this.#targets.set(record.spec.id, record);
    const docker = await connectDocker(container.socket);
    const found = await findByLabel(docker, record.spec.id);
    if (record.state === 'stopping') {
      if (found)
        await docker
          .getContainer(found.Id)
          .remove({ force: true })
          .catch(() => undefined);
      this.#targets.delete(record.spec.id);
    } else if (found && found.State === 'running') {
      record.containerId = found.Id;
      record.state = 'running';
      const info = await docker.getContainer(found.Id).inspect();
      record.pid = info.State.Pid || null;
      this.#watch(record, docker);
      this.#emit(
        record,
        'target.adopted',
        `adopted running container of ${record.spec.id} (${short(found.Id)})`,
      );
    } else {
      this.#emit(
        record,
        'target.exited',
        `container of ${record.spec.id} was not running after the agent restarted`,
      );
      if (!found) {
        const created = await docker.createContainer(
          deriveContainerConfig(record.spec, container, record.port),
        );
        record.containerId = created.id;
      } else {
        record.containerId = found.Id;
      }
      record.restarts += 1;
      await this.#run(record).catch((err: unknown) => this.#onExit(record, null, errorText(err)));
    }
    this.onChange();
  }

  isAlive(id: string): { alive: boolean; reason?: string } {
    const record = this.#targets.get(id);
    if (!record) return { alive: false, reason: `target ${id} is not known to the agent` };
    if (record.state === 'running' || record.state === 'starting') return { alive: true };
    const exit = record.lastExit;
    return {
      alive: false,
      reason: `the container ${exit ? `exited with code ${exit.code ?? '?'}` : record.state}`,
    };
  }

  async stop(id: string): Promise<boolean> {
    const record = this.#targets.get(id);
    if (!record) return false;
    this.#clearTimer(id);
    record.state = 'stopping';
    this.onChange();
    const container = requireContainer(record.spec);
    const docker = await connectDocker(container.socket);
    if (record.containerId) {
      const handle = docker.getContainer(record.containerId);
      const seconds = Math.max(1, Math.ceil(record.spec.stopTimeoutMs / 1000));
      await handle.stop({ t: seconds }).catch((err: unknown) => {
        if (!isDockerNotModified(err) && !isDockerNotFound(err)) throw err;
      });
      await handle.remove({ force: true }).catch((err: unknown) => {
        if (!isDockerNotFound(err)) throw err;
      });
    }
    this.#waits.get(id)?.abort();
    this.#waits.delete(id);
    record.state = 'stopped';
    record.pid = null;
    this.#targets.delete(id);
    this.#emit(record, 'target.stopped', `stopped and removed container of ${id}`);
    this.onChange();
    return true;
  }

  async stderrTail(id: string, lines = 10): Promise<string> {
    const record = this.#targets.get(id);
    const all = await this.readLogs(id, lines * 4).catch(() => []);
    const tail = all
      .filter((l) => l.stream === 'err')
      .slice(-lines)
      .map((l) => l.line)
      .join('\n');
    return redact(tail, targetSecretValues(record));
  }

  async readLogs(id: string, lines: number): Promise<LogLine[]> {
    const record = this.#targets.get(id);
    if (!record?.containerId || !record.spec.container) return [];
    const docker = await connectDocker(record.spec.container.socket);
    return readContainerLogs(docker, record.containerId, lines, targetSecretValues(record));
  }

  /** Follows the container's logs; after a crash restart the same container logs again, so follow it again. */
  async followLogs(id: string, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
    let sinceSeconds: number | null = null;
    while (!signal.aborted) {
      const record = this.#targets.get(id);
      if (!record?.containerId || !record.spec.container) return;
      if (record.state !== 'running') {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const docker = await connectDocker(record.spec.container.socket);
      await followContainerLogs(docker, record.containerId, {
        sinceSeconds,
        secrets: targetSecretValues(record),
        onLine,
        signal,
      });
      sinceSeconds = Math.floor(this.clock.nowMs() / 1000);
      // The stream ended with the container: wait for the next run (or the end of the target).
      while (!signal.aborted && this.#targets.get(id) === record && record.state === 'running') {
        await new Promise((r) => setTimeout(r, 100));
        if (record.startedAtMs > sinceSeconds * 1000) break;
      }
    }
  }

  async prune({ app, keep, targets, dockerSocket }: PruneRequest): Promise<string[]> {
    if (!dockerSocket) return [];
    const inUse = new Set(targets.flatMap((t) => (t.spec.container ? [t.spec.container.image] : [])));
    return pruneImages(dockerSocket, app, keep, inUse);
  }

  detach(): void {
    for (const id of [...this.#restartTimers.keys()]) this.#clearTimer(id);
    for (const wait of this.#waits.values()) wait.abort();
    this.#waits.clear();
  }

  async #run(record: TargetRecord): Promise<void> {
    const container = requireContainer(record.spec);
    const docker = await connectDocker(container.socket);
    if (!record.containerId) throw new SlipwayError(`target ${record.spec.id} has no container`);
    const handle = docker.getContainer(record.containerId);
    await handle.start().catch((err: unknown) => {
      if (!isDockerNotModified(err)) throw err;
    });
    const info = await handle.inspect();
    record.pid = info.State.Pid || null;
    record.state = 'running';
    record.startedAtMs = this.clock.nowMs();
    this.#watch(record, docker);
    this.#emit(
      record,
      'target.started',
      `started container ${short(record.containerId)} of ${record.spec.id} ${record.spec.process ? `(${record.spec.process.name} ${record.spec.process.instance})` : `on 127.0.0.1:${record.port}`}`,
    );
    this.onChange();
  }

  /** Waits for the container to stop; an exit we did not ask for is a crash. */
  #watch(record: TargetRecord, docker: Docker): void {
    const id = record.spec.id;
    this.#waits.get(id)?.abort();
    const controller = new AbortController();
    this.#waits.set(id, controller);
    const containerId = record.containerId;
    if (!containerId) return;
    docker
      .getContainer(containerId)
      .wait({ abortSignal: controller.signal })
      .then(
        (result: { StatusCode?: number }) => {
          if (controller.signal.aborted) return;
          this.#onExit(record, result.StatusCode ?? null);
        },
        (err: unknown) => {
          if (controller.signal.aborted) return;
          this.#onExit(record, null, errorText(err));
        },
      );
  }

  #onExit(record: TargetRecord, code: number | null, note?: string): void {
    const id = record.spec.id;
    if (record.state === 'stopping' || record.state === 'stopped' || this.#targets.get(id) !== record) return;
    const delay = recordCrash(record, { code, signal: null }, this.clock.nowMs());
    void this.stderrTail(id).then((tail) => {
      const how = code !== null ? `exited with code ${code}` : (note ?? 'ended');
      this.#emit(record, 'target.exited', `container of ${id} ${how}; restarting in ${delay}ms`, {
        code,
        signal: null,
        stderrTail: tail,
      });
    });
    const timer = setTimeout(() => {
      this.#restartTimers.delete(id);
      if (this.#targets.get(id) !== record || record.state !== 'backoff') return;
      record.restarts += 1;
      record.state = 'starting'; // alive for health checks from now on, like a freshly spawned process
      this.#run(record).then(
        () =>
          this.#emit(
            record,
            'target.restarted',
            `restarted container of ${id} (restart ${record.restarts})`,
            {
              restarts: record.restarts,
            },
          ),
        (err: unknown) => this.#onExit(record, null, `restart failed: ${errorText(err)}`),
      );
    }, delay);
    timer.unref();
    this.#restartTimers.set(id, timer);
    this.onChange();
  }

  #clearTimer(id: string): void {
    const timer = this.#restartTimers.get(id);
    if (timer) clearTimeout(timer);
    this.#restartTimers.delete(id);
  }

  #emit(
    record: TargetRecord,
    kind: SupervisorEvent['kind'],
    message: string,
    data?: Record<string, unknown>,
  ): void {
    this.onEvent(targetEvent(record, kind, message, data));
  }
}

function requireContainer(spec: TargetSpec): ContainerSpec {
  if (!spec.container) throw new SlipwayError(`target ${spec.id} is not a container target`);
  return spec.container;
}

async function findByLabel(docker: Docker, targetId: string): Promise<Docker.ContainerInfo | undefined> {
  const found = await docker.listContainers({
    all: true,
    filters: { label: [`${TARGET_LABEL}=${targetId}`] },
  });
  return found[0];
}

async function removeByLabel(docker: Docker, targetId: string): Promise<void> {
  const found = await docker.listContainers({
    all: true,
    filters: { label: [`${TARGET_LABEL}=${targetId}`] },
  });
  await Promise.all(found.map((c) => docker.getContainer(c.Id).remove({ force: true })));
}

const short = (id: string | null): string => (id ?? '?').slice(0, 12);

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Creates the environment's named volumes that the engine does not have yet, labelled with the app and environment
 * (`docker volume ls --filter label=dev.slipway.app=<app>`). Creating a volume that exists leaves it and its data
 * as they are. Nothing here ever removes a volume.
 */
async function ensureVolumes(docker: Docker, app: string, container: ContainerSpec): Promise<void> {
  for (const mount of deriveVolumeMounts(app, container)) {
    await docker.createVolume({
      Name: mount.Source,
      Labels: { [APP_LABEL]: app, [ENVIRONMENT_LABEL]: container.environment },
    });
  }
}
