import type { Clock } from '../core/clock.js';
import type { LogLine, PruneRequest, Runtime } from '../runtime/runtime.js';
import type { SupervisorEvent, TargetRecord } from '../runtime/target-record.js';
import { redactLogLine, targetSecretValues } from '../runtime/target-secrets.js';
import { followLines, logFilePath, readTailLines, type LogStream } from './log-files.js';
import type { TargetSpec } from './protocol.js';
import { pruneReleaseDirs } from './release-dirs.js';
import { Supervisor } from './supervisor.js';

const STREAMS: LogStream[] = ['out', 'err'];

/**
 * Targets as detached process groups (`sh -c <command>` in the release directory), output straight to log
 * files: the behaviour Slipway always had, now behind the Runtime port. The Supervisor does the work.
 */
export class ProcessRuntime implements Runtime {
  readonly kind = 'process' as const;
  readonly #supervisor: Supervisor;

  constructor(
    private readonly logsDir: string,
    private readonly releasesDir: string,
    clock: Clock,
    onChange: () => void,
    onEvent: (event: SupervisorEvent) => void,
  ) {
    this.#supervisor = new Supervisor(logsDir, clock, onChange, onEvent);
  }

  start(spec: TargetSpec, releaseDir: string, port: number): Promise<TargetRecord> {
    return Promise.resolve(this.#supervisor.start(spec, releaseDir, port));
  }

  adopt(record: TargetRecord): Promise<void> {
    this.#supervisor.adopt(record);
    return Promise.resolve();
  }

  get(id: string): TargetRecord | undefined {
    return this.#supervisor.get(id);
  }

  list(): TargetRecord[] {
    return this.#supervisor.list();
  }

  isAlive(id: string): { alive: boolean; reason?: string } {
    return this.#supervisor.isAlive(id);
  }

  stop(id: string): Promise<boolean> {
    return this.#supervisor.stop(id);
  }

  stderrTail(id: string, lines?: number): Promise<string> {
    return this.#supervisor.stderrTail(id, lines);
  }

  /** Reads the log files, so a stopped target's logs stay readable; secret values are redacted. */
  async readLogs(id: string, lines: number): Promise<LogLine[]> {
    const secrets = this.#secretsFor(id);
    const out: LogLine[] = [];
    for (const stream of STREAMS) {
      for (const line of await readTailLines(logFilePath(this.logsDir, id, stream), lines))
        out.push(redactLogLine({ stream, line }, secrets));
    }
    return out;
  }

  async followLogs(id: string, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
    // Taken once: the record goes away when the target stops, its last lines must stay redacted.
    const secrets = this.#secretsFor(id);
    await Promise.all(
      STREAMS.map((stream) =>
        followLines(
          logFilePath(this.logsDir, id, stream),
          (line) => onLine(redactLogLine({ stream, line }, secrets)),
          signal,
        ),
      ),
    );
  }

  /**
   * The target's own secret values; for a stopped target (its record is gone) those of every target still
   * supervised, which most likely include the same values. Redacting more than needed only hides text.
   */
  #secretsFor(id: string): string[] {
    const record = this.#supervisor.get(id);
    if (record) return targetSecretValues(record);
    return [...new Set(this.#supervisor.list().flatMap((r) => targetSecretValues(r)))];
  }

  prune({ app, keep, targets }: PruneRequest): Promise<string[]> {
    return pruneReleaseDirs(this.releasesDir, app, keep, new Set(targets.map((t) => t.spec.release)));
  }

  detach(): void {
    this.#supervisor.detach();
  }
}
