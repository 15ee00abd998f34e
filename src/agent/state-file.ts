import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes JSON so that a reader (or a crash) never sees half a file: write a temp file, then rename. */
export async function writeJsonAtomic(path: string, data: unknown, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode });
  await rename(tmp, path);
}

export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/**
 * Serialises snapshot writes: callers ask for a save whenever state changes; at most one write runs at a time
 * and the last request always wins, so the file on disk converges to the latest state.
 */
export class SnapshotWriter {
  #running: Promise<void> | null = null;
  #pending = false;
  #frozen = false;
  constructor(
    private readonly path: string,
    private readonly snapshot: () => unknown,
    private readonly onError: (err: unknown) => void,
  ) {}

  request(): Promise<void> {
    if (this.#frozen) return this.#running ?? Promise.resolve();
    if (this.#running) {
      this.#pending = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#pending = false;
      try {
        await writeJsonAtomic(this.path, this.snapshot());
      } catch (err) {
        this.onError(err);
      }
    } while (this.#pending);
  }

  /** No more writes: the state on disk stays as it is now (an agent shutting down its routers). */
  freeze(): void {
    this.#frozen = true;
  }

  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }
}
