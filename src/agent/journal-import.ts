import { open, stat } from 'node:fs/promises';
import type { EventJournal } from './event-journal.js';
import type { AgentEvent } from './protocol.js';

/** Reads at most this much of a journal per pass (the rest is read on the next one). */
const MAX_READ_BYTES = 1024 * 1024;

/**
 * Copies the events that the router process and the keeper write to their own journals into the agent's, which
 * is the one the control plane reads (and ledgers). Each source is read from the byte offset where the last pass
 * stopped (saved in the agent's state, so a restarted agent neither loses nor repeats events); a journal that
 * shrank was started anew and is read from its beginning; a torn last line waits for its end.
 */
export class JournalImport {
  #offsets: Record<string, number>;
  #running: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sources: Record<string, string>,
    private readonly into: EventJournal,
    offsets: Record<string, number> | undefined,
    private readonly onProgress: () => void,
  ) {
    this.#offsets = { ...offsets };
  }

  get offsets(): Record<string, number> {
    return { ...this.#offsets };
  }

  /** One pass now, then one every `intervalMs` until stop(). */
  async startEvery(intervalMs: number, onError: (err: unknown) => void): Promise<void> {
    await this.run().catch(onError);
    this.#timer = setInterval(() => void this.run().catch(onError), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One pass over every source; concurrent callers share the pass that runs. */
  run(): Promise<void> {
    this.#running ??= this.#pass().finally(() => (this.#running = null));
    return this.#running;
  }

  async #pass(): Promise<void> {
    let moved = false;
    for (const [source, path] of Object.entries(this.sources)) {
      const size = await stat(path).then(
        (s) => s.size,
        () => null,
      );
      if (size === null) continue;
      let offset = this.#offsets[source] ?? 0;
      if (size < offset) offset = 0;
      if (size === offset) continue;
      const file = await open(path, 'r');
      let text: string;
      try {
        const buffer = Buffer.alloc(Math.min(size - offset, MAX_READ_BYTES));
        const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
        text = buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await file.close();
      }
      const complete = text.lastIndexOf('\n') + 1;
      for (const line of text.slice(0, complete).split('\n')) {
        if (!line.trim()) continue;
        try {
          const { seq: _seq, ...event } = JSON.parse(line) as AgentEvent;
          this.into.append({ ...event, data: { ...event.data, source } });
        } catch {
          // a torn line left by a crash: skip it
        }
      }
      this.#offsets[source] = offset + Buffer.byteLength(text.slice(0, complete));
      moved = true;
    }
    if (moved) this.onProgress();
  }
}
