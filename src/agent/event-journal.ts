import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { readTailLines } from './log-files.js';
import type { AgentEvent } from './protocol.js';

const KEEP_IN_MEMORY = 1000;

/** The agent's own append-only record of what happened on the host, readable by the control plane by seq. */
export class EventJournal {
  #events: AgentEvent[] = [];
  #seq = 0;
  #unsaved = 0;

  private constructor(private readonly path: string) {}

  static async open(path: string): Promise<EventJournal> {
    mkdirSync(dirname(path), { recursive: true });
    const journal = new EventJournal(path);
    const lines = await readTailLines(path, KEEP_IN_MEMORY, 4 * 1024 * 1024);
    for (const line of lines) {
      try {
        journal.#events.push(JSON.parse(line) as AgentEvent);
      } catch {
        // a torn last line after a crash: skip it
      }
    }
    journal.#seq = journal.#events.at(-1)?.seq ?? 0;
    return journal;
  }

  /**
   * Records an event. When the disk refuses (full, read-only), the event is still kept in memory (the control
   * plane reads it by seq) and the process goes on: a journal must never take the router or the agent down.
   */
  append(event: Omit<AgentEvent, 'seq'>): AgentEvent {
    const full: AgentEvent = { seq: ++this.#seq, ...event };
    try {
      appendFileSync(this.path, `${JSON.stringify(full)}\n`, { mode: 0o600 });
    } catch (err) {
      if (this.#unsaved++ === 0) {
        process.stderr.write(`could not append to ${this.path}: ${String(err)}; events are kept in memory\n`);
      }
    }
    this.#events.push(full);
    if (this.#events.length > KEEP_IN_MEMORY) this.#events.splice(0, this.#events.length - KEEP_IN_MEMORY);
    return full;
  }

  /** Appends what happened at `atMs` (targetId and release when it is about one target). */
  note(
    atMs: number,
    what: { kind: string; app: string; message: string; targetId?: string | null; release?: string | null },
    data?: Record<string, unknown>,
  ): AgentEvent {
    const { kind, app, message } = what;
    const about = { targetId: what.targetId ?? null, release: what.release ?? null };
    return this.append({ atMs, kind, app, ...about, message, ...(data ? { data } : {}) });
  }

  after(seq: number): AgentEvent[] {
    return this.#events.filter((e) => e.seq > seq);
  }
}
