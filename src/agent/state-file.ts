import { mkdir, open, readFile, rename, statfs, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatBytes } from '../core/bytes.js';
import { SlipwayError } from '../core/errors.js';

/** Writes JSON so that a reader (or a crash) never sees half a file: write a temp file, then rename. */
export async function writeJsonAtomic(path: string, data: unknown, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode });
  await rename(tmp, path);
}

/**
 * Writes JSON so that it survives a crash or a power cut once this resolves: write a temp file, fsync it, rename
 * it over `path`, fsync the directory (the rename itself is only durable then). Throws a StateSaveError saying
 * which disk and how much room is left when it cannot; `path` then keeps its previous content.
 */
export async function writeJsonDurable(path: string, data: unknown, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    const file = await open(tmp, 'w', mode);
    try {
      await file.writeFile(`${JSON.stringify(data, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw await StateSaveError.describe(path, err);
  }
}

/** A state file could not be saved: names the file, the error, and the room left on its disk. */
export class StateSaveError extends SlipwayError {
  static async describe(path: string, err: unknown): Promise<StateSaveError> {
    const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    const room = await statfs(dirname(path)).then(
      (s) => `${formatBytes(s.bavail * s.bsize)} free of ${formatBytes(s.blocks * s.bsize)}`,
      () => 'free space unknown',
    );
    const hint =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? `free space on the disk of ${dirname(path)}, then try again`
        : `check that ${dirname(path)} is writable, then try again`;
    return new StateSaveError(`cannot save ${path}: ${code} (${room} on its disk)`, { hint, cause: err });
  }
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
