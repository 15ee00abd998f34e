import { CommanderError } from 'commander';
import { DiskFullError, isBadInput, isDiskFullErrno, SlipwayError } from '../core/errors.js';
import { red, yellow } from './progress-renderer.js';

/**
 * The one place where errors become output and exit codes (the CLI entry calls it): 2 for bad input (a config
 * problem, an unusable argument, a name that is not there: see isBadInput), 1 for everything else. Slipway's
 * errors are a line and a hint; a full disk that reached here unnamed (a write Slipway did not wrap) is one too,
 * naming the file when Node knows it; anything else is a bug, shown with its stack.
 */
export function reportError(err: unknown, write: (text: string) => void): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  const told = isDiskFullErrno(err) ? diskFull(err) : err;
  if (told instanceof SlipwayError) {
    write(`${red('error:')} ${told.message}\n`);
    if (told.hint) write(`${yellow('hint:')} ${told.hint}\n`);
    return isBadInput(told) ? 2 : 1;
  }
  write(`${red('unexpected error:')} ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

function diskFull(err: unknown): SlipwayError {
  const path = (err as { path?: unknown }).path;
  if (typeof path === 'string') return new DiskFullError(path, { cause: err });
  return new SlipwayError(`no space left on the disk: ${(err as Error).message}`, {
    cause: err,
    hint: 'free space on the disk being written ("df -h" shows what is left), then try again',
  });
}
