import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TinyDisk {
  /** The mount point: a file system of its own, this small. */
  dir: string;
  /** Writes a filler file until the disk has no byte left (ENOSPC). */
  fill(): void;
  /** Removes the filler. */
  free(): void;
  unmount(): void;
}

/**
 * A real, tiny file system (tmpfs) mounted on a temp dir, to run out of space for real. Needs root, as the
 * testbed and the Docker harness do: fails loudly (no skip) without it; CI runs the suite as root.
 */
export function mountTinyDisk(sizeBytes: number): TinyDisk {
  if (process.getuid?.() !== 0) throw new Error('a tiny disk (tmpfs) needs root to mount');
  const dir = mkdtempSync(join(tmpdir(), 'sw-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      try {
        // Big blocks first, then small ones for the last bytes of the last pages.
        for (const size of [64 * 1024, 512, 1]) {
          const block = Buffer.alloc(size);
          for (;;) {
            try {
              writeSync(fd, block);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
