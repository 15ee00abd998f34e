import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../core/clock.js';
import { redact } from '../core/secret.js';
import {
  newTargetRecord,
  recordCrash,
  targetEvent,
  type SupervisorEvent,
  type TargetRecord,
} from '../runtime/target-record.js';
import { targetSecretValues } from '../runtime/target-secrets.js';
import { logFilePath, readTailLines } from './log-files.js';
import { isGroupAlive, isProcessAlive, readProcessStartTicks, signalGroup, sleep } from './process-util.js';
import type { TargetSpec, TargetStatus } from './protocol.js';
import { targetIdentityEnv } from '../runtime/target-record.js';

const ADOPTED_POLL_MS = 250;

export class Supervisor {
  readonly #targets = new Map<string, TargetRecord>();
  readonly #restartTimers = new Map<string, NodeJS.Timeout>();
  readonly #adoptedPolls = new Map<string, NodeJS.Timeout>();
  readonly #exitWaiters = new Map<string, Array<() => void>>();
  /** Set by detach: this supervisor no longer answers for its targets (another agent may adopt them). */
  #detached = false;

  constructor(
    private readonly logsDir: string,
    private readonly clock: Clock,
    private readonly onChange: () => void,
    private readonly onEvent: (event: SupervisorEvent) => void,
  ) {
    mkdirSync(logsDir, { recursive: true });
  }

  get(id: string): TargetRecord | undefined {
    return this.#targets.get(id);
  }

  list(): TargetRecord[] {
    return [...this.#targets.values()];
  }

  /** Starts a new target. The caller chose its port and installed its release directory. */
  start(spec: TargetSpec, releaseDir: string, port: number): TargetRecord {
    const record = newTargetRecord(spec, releaseDir, port, this.clock.nowMs());
    this.#targets.set(spec.id, record);
    this.#spawn(record);
    return record;
  }

  /** After an agent restart: take over a target whose process still runs, or start it again. */
  adopt(record: TargetRecord): void {
    if (record.state === 'stopped') return;
    this.#targets.set(record.spec.id, record);
    const alive =
      record.pid !== null &&
      isProcessAlive(record.pid) &&
      (record.pidStartTicks === null || readProcessStartTicks(record.pid) === record.pidStartTicks);
    if (alive && record.pid !== null) {
      record.state = 'running';
      this.#pollAdopted(record);
      this.#emit(record, 'target.adopted', `adopted running target ${record.spec.id} (pid ${record.pid})`);
    } else if (record.state === 'stopping') {
      record.state = 'stopped';
      this.#targets.delete(record.spec.id);
    } else {
      this.#emit(
        record,
        'target.exited',
        `target ${record.spec.id} was not running after the agent restarted`,
      );
      this.#spawn(record);
      record.restarts += 1;
    }
    this.onChange();
  }

  isAlive(id: string): { alive: boolean; reason?: string } {
    const record = this.#targets.get(id);
    if (!record) return { alive: false, reason: `target ${id} is not known to the agent` };
    if (record.state === 'running' || record.state === 'starting') return { alive: true };
    const exit = record.lastExit;
    const how = exit
      ? exit.code !== null
        ? `exited with code ${exit.code}`
        : `was killed by ${exit.signal}`
      : record.state;
    return { alive: false, reason: `the target process ${how}` };
  }

  async stderrTail(id: string, lines = 10): Promise<string> {
    const record = this.#targets.get(id);
    const tail = await readTailLines(logFilePath(this.logsDir, id, 'err'), lines);
    return redact(tail.join('\n'), targetSecretValues(record));
  }

  /** Stops a target: SIGTERM to its process group, SIGKILL after the stop timeout. */
  async stop(id: string): Promise<boolean> {
    const record = this.#targets.get(id);
    if (!record) return false;
    this.#clearTimers(id);
    if (record.state === 'stopping') {
      await this.#waitExit(record);
      return true;
    }
    const pid = record.pid;
    record.state = 'stopping';
    this.onChange();
    if (pid !== null && isGroupAlive(pid)) {
      signalGroup(pid, 'SIGTERM');
      const deadline = this.clock.nowMs() + record.spec.stopTimeoutMs;
      while (isGroupAlive(pid) && this.clock.nowMs() < deadline) await sleep(50);
      if (isGroupAlive(pid)) signalGroup(pid, 'SIGKILL');
      while (isGroupAlive(pid) && isProcessAlive(pid)) await sleep(20);
    }
    record.state = 'stopped';
    record.pid = null;
    this.#targets.delete(id);
    this.#emit(record, 'target.stopped', `stopped target ${id}`);
    this.#notifyExit(id);
    this.onChange();
    return true;
  }

  /**
   * Stops polling and timers without touching the processes (the agent is shutting down; targets live on). A
   * target that exits afterwards is not restarted by this supervisor: whoever adopts it decides.
   */
  detach(): void {
    this.#detached = true;
    for (const id of [...this.#restartTimers.keys(), ...this.#adoptedPolls.keys()]) this.#clearTimers(id);
  }

  #spawn(record: TargetRecord): void {
    const { spec } = record;
    const out = openSync(logFilePath(this.logsDir, spec.id, 'out'), 'a', 0o600);
    const err = openSync(logFilePath(this.logsDir, spec.id, 'err'), 'a', 0o600);
    try {
      const child = spawn('/bin/sh', ['-c', spec.command], {
        cwd: record.releaseDir,
        env: {
          // The node the agent runs on (on SSH hosts: the one `slipway setup` uploaded) comes first, so a
          // target's `node server.js` finds a node even on a host that has none installed.
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
          HOME: process.env.HOME ?? '/',
          ...spec.env,
          ...spec.secretEnv,
          ...targetIdentityEnv(spec, record.port),
        },
        // Own process group and no pipes: the target outlives the agent, and the agent can adopt it later.
        detached: true,
        stdio: ['ignore', out, err],
      });
      child.unref();
      record.pid = child.pid ?? null;
      record.pidStartTicks = record.pid === null ? null : (readProcessStartTicks(record.pid) ?? null);
      record.state = 'running';
      record.startedAtMs = this.clock.nowMs();
      child.once('error', (error) => this.#onExit(record, null, null, error.message));
      child.once('exit', (code, signal) => this.#onExit(record, code, signal));
      const where = spec.process ? `${spec.process.name} ${spec.process.instance}` : `on port ${record.port}`;
      this.#emit(record, 'target.started', `started target ${spec.id} ${where} (pid ${record.pid})`);
    } finally {
      closeSync(out);
      closeSync(err);
    }
    this.onChange();
  }

  #pollAdopted(record: TargetRecord): void {
    const timer = setInterval(() => {
      if (record.pid === null || !isProcessAlive(record.pid)) {
        this.#clearTimers(record.spec.id);
        this.#onExit(record, null, null, 'adopted process disappeared');
      }
    }, ADOPTED_POLL_MS);
    timer.unref();
    this.#adoptedPolls.set(record.spec.id, timer);
  }

  #onExit(record: TargetRecord, code: number | null, signal: NodeJS.Signals | null, note?: string): void {
    if (this.#detached) return;
    const id = record.spec.id;
    if (record.state === 'stopping' || record.state === 'stopped' || this.#targets.get(id) !== record) return;
    // Whatever the shell left behind in the group would hold the port: clear it before a restart.
    if (record.pid !== null) signalGroup(record.pid, 'SIGKILL');
    const delay = recordCrash(record, { code, signal }, this.clock.nowMs());
    void this.stderrTail(id).then((tail) => {
      const how =
        code !== null ? `exited with code ${code}` : signal ? `was killed by ${signal}` : (note ?? 'ended');
      this.#emit(record, 'target.exited', `target ${id} ${how}; restarting in ${delay}ms`, {
        code,
        signal,
        stderrTail: tail,
      });
    });
    const timer = setTimeout(() => {
      this.#restartTimers.delete(id);
      if (this.#targets.get(id) !== record || record.state !== 'backoff') return;
      record.restarts += 1;
      this.#spawn(record);
      this.#emit(record, 'target.restarted', `restarted target ${id} (restart ${record.restarts})`, {
        restarts: record.restarts,
      });
    }, delay);
    timer.unref();
    this.#restartTimers.set(id, timer);
    this.#notifyExit(id);
    this.onChange();
  }

  #clearTimers(id: string): void {
    const restart = this.#restartTimers.get(id);
    if (restart) clearTimeout(restart);
    this.#restartTimers.delete(id);
    const poll = this.#adoptedPolls.get(id);
    if (poll) clearInterval(poll);
    this.#adoptedPolls.delete(id);
  }

  #waitExit(record: TargetRecord): Promise<void> {
    if (record.state === 'stopped') return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.#exitWaiters.get(record.spec.id) ?? [];
      list.push(resolve);
      this.#exitWaiters.set(record.spec.id, list);
    });
  }

  #notifyExit(id: string): void {
    const waiters = this.#exitWaiters.get(id);
    this.#exitWaiters.delete(id);
    for (const resolve of waiters ?? []) resolve();
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

export function toTargetStatus(record: TargetRecord): TargetStatus {
  return {
    id: record.spec.id,
    app: record.spec.app,
    release: record.spec.release,
    port: record.port,
    pid: record.pid,
    state: record.state,
    health: record.health,
    restarts: record.restarts,
    startedAtMs: record.startedAtMs,
    lastExit: record.lastExit,
    stopAtMs: record.stopAtMs,
    ...(record.containerId ? { containerId: record.containerId } : {}),
    ...(record.spec.process ? { process: record.spec.process } : {}),
  };
}
