import type { agentPaths } from './agent-paths.js';
import { isGroupAlive, isProcessAlive, readProcessStartTicks, signalGroup, sleep } from './process-util.js';
import { readJsonIfExists, writeJsonAtomic } from './state-file.js';
import type { TargetRecord } from '../runtime/target-record.js';
import { connectDocker, isDockerNotFound, isDockerNotModified } from '../runtime/docker-connect.js';
import { TARGET_LABEL } from '../runtime/container-config.js';

/** What a dead agent left in its state file about one target, and what became of it. */
export type LeftTargetReport =
  | { kind: 'stopped'; id: string; release: string; how: string }
  /** Nothing of it runs; `note` says when its pid now names another process (which is left alone). */
  | { kind: 'gone'; id: string; release: string; note?: string }
  /** It may still run, and it was not stopped: kept in the state file for the next agent to adopt. */
  | { kind: 'left-alone'; id: string; release: string; why: string };

/** What the host says now about the process a record names. */
export interface ProcessFacts {
  alive: boolean;
  /** Its start time in clock ticks since boot (/proc), when readable. */
  startTicks: number | undefined;
}

export type LeftTargetVerdict =
  | { kind: 'stop-process'; pid: number }
  | { kind: 'stop-container' }
  | { kind: 'gone'; note?: string }
  | { kind: 'left-alone'; why: string };

/**
 * Whether the process a dead agent recorded is still that target: only a live process whose start time is the
 * recorded one is (a pid is reused by unrelated processes; its start time is not). Containers are found by
 * their target label instead. Pure.
 */
export function judgeLeftTarget(record: TargetRecord, facts: ProcessFacts | null): LeftTargetVerdict {
  if (record.state === 'stopped') return { kind: 'gone' };
  if (record.spec.container) return { kind: 'stop-container' };
  if (record.pid === null || !facts?.alive) return { kind: 'gone' };
  if (record.pidStartTicks === null || facts.startTicks === undefined) {
    return {
      kind: 'left-alone',
      why: `cannot tell that pid ${record.pid} is still the target (no start time to compare); stop it yourself if it is`,
    };
  }
  if (facts.startTicks !== record.pidStartTicks) {
    return { kind: 'gone', note: `pid ${record.pid} now belongs to another process, left alone` };
  }
  return { kind: 'stop-process', pid: record.pid };
}

/**
 * `slipway agent stop --stop-targets` when the agent is dead: adopts the targets from its state file and stops
 * each one that still runs (its process group: SIGTERM, then SIGKILL after its stop timeout; a container through
 * the Docker Engine), then drops them from the state file, so that the next agent does not start them again.
 * A target whose pid now names another process is left alone, and said so.
 */
export async function stopTargetsLeftInState(
  paths: ReturnType<typeof agentPaths>,
): Promise<LeftTargetReport[]> {
  const snapshot = await readJsonIfExists<{ targets?: TargetRecord[] }>(paths.state);
  const records = snapshot?.targets ?? [];
  const reports = await Promise.all(records.map(stopLeftTarget));
  if (snapshot && records.length > 0) {
    const kept = new Set(reports.filter((r) => r.kind === 'left-alone').map((r) => r.id));
    await writeJsonAtomic(paths.state, { ...snapshot, targets: records.filter((r) => kept.has(r.spec.id)) });
  }
  return reports;
}

/** Stops one recorded target if it is still what the record says. */
export async function stopLeftTarget(record: TargetRecord): Promise<LeftTargetReport> {
  const { id, release } = record.spec;
  const facts =
    record.pid === null
      ? null
      : { alive: isProcessAlive(record.pid), startTicks: readProcessStartTicks(record.pid) };
  const verdict = judgeLeftTarget(record, facts);
  switch (verdict.kind) {
    case 'gone':
      return { kind: 'gone', id, release, ...(verdict.note ? { note: verdict.note } : {}) };
    case 'left-alone':
      return { kind: 'left-alone', id, release, why: verdict.why };
    case 'stop-process':
      await stopProcessGroup(verdict.pid, record.spec.stopTimeoutMs);
      return { kind: 'stopped', id, release, how: `pid ${verdict.pid}` };
    case 'stop-container':
      return stopLeftContainer(record);
  }
}

async function stopProcessGroup(pgid: number, stopTimeoutMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + stopTimeoutMs;
  while (isGroupAlive(pgid) && Date.now() < deadline) await sleep(50);
  if (isGroupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  while (isGroupAlive(pgid) && isProcessAlive(pgid)) await sleep(20);
}

async function stopLeftContainer(record: TargetRecord): Promise<LeftTargetReport> {
  const { id, release, container } = record.spec;
  if (!container) return { kind: 'gone', id, release };
  try {
    const docker = await connectDocker(container.socket);
    const found = await docker.listContainers({ all: true, filters: { label: [`${TARGET_LABEL}=${id}`] } });
    if (found.length === 0) return { kind: 'gone', id, release };
    const seconds = Math.max(1, Math.ceil(record.spec.stopTimeoutMs / 1000));
    for (const info of found) {
      const handle = docker.getContainer(info.Id);
      await handle.stop({ t: seconds }).catch((err: unknown) => {
        if (!isDockerNotModified(err) && !isDockerNotFound(err)) throw err;
      });
      await handle.remove({ force: true }).catch((err: unknown) => {
        if (!isDockerNotFound(err)) throw err;
      });
    }
    return {
      kind: 'stopped',
      id,
      release,
      how: `container ${found.map((c) => c.Id.slice(0, 12)).join(', ')}`,
    };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { kind: 'left-alone', id, release, why: `the Docker Engine at ${container.socket}: ${reason}` };
  }
}
