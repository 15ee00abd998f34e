import { statfsSync } from 'node:fs';
import path from 'node:path';
import { DiskFullError, isDiskFullErrno, StoreBusyError } from '../core/errors.js';
import type { Store } from './store.js';

/** Below this many free bytes, an I/O error of SQLite on that disk is taken for a full disk. */
const NEARLY_FULL_BYTES = 1024 * 1024;

/** What the translation needs to know about a SQLite store: its file, how long writers wait, the free space. */
export interface SqliteErrorContext {
  file: string;
  busyTimeoutMs: number;
  /** Free bytes for unprivileged writers on the disk holding `dir`; undefined when it cannot be read. */
  freeBytes?: (dir: string) => number | undefined;
}

/**
 * A SQLite error as Slipway tells it: "database is locked" (SQLITE_BUSY, SQLITE_LOCKED) becomes StoreBusyError,
 * a full disk (SQLITE_FULL, ENOSPC, or an I/O error on a disk with next to no space left, as when SQLite cannot
 * grow its shared-memory file) becomes DiskFullError; both name the file. Anything else is returned unchanged.
 */
export function translateSqliteError(error: unknown, context: SqliteErrorContext): unknown {
  if (error instanceof StoreBusyError || error instanceof DiskFullError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return new StoreBusyError(context.file, context.busyTimeoutMs, { cause: error });
  if (code === 'SQLITE_FULL' || isDiskFullErrno(error))
    return new DiskFullError(context.file, { cause: error });
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') {
    const free = (context.freeBytes ?? readFreeBytes)(path.dirname(path.resolve(context.file)));
    if (free !== undefined && free < NEARLY_FULL_BYTES)
      return new DiskFullError(context.file, { cause: error });
  }
  return error;
}

function readFreeBytes(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/**
 * The store with every method's failure passed through `translate`, so that a busy or full store reaches the
 * CLI (and the server) as a named error instead of a driver's stack trace.
 */
export function withStoreErrors(store: Store, translate: (error: unknown) => unknown): Store {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store)) {
    if (typeof member !== 'function') {
      wrapped[name] = member;
      continue;
    }
    const method = member as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = method(...args);
      } catch (error) {
        throw translate(error);
      }
      return result instanceof Promise
        ? result.catch((error: unknown) => {
            throw translate(error);
          })
        : result;
    };
  }
  return wrapped as unknown as Store;
}
