import type { Command } from 'commander';
import { parseDurationMs } from '../core/duration.js';
import { InputError } from '../core/errors.js';
import { describeRunEnd, runInteractively, runOneOff } from '../operations/run-one-off.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim } from './progress-renderer.js';

const DEFAULT_TIMEOUT = '1h';

interface RunOptions {
  host?: string;
  any?: boolean;
  timeout?: string;
  interactive?: boolean;
  tty?: boolean;
}

/** `slipway run <env> [--host H | --any] [-i] [-t] [--timeout D] -- <command…>` (src/operations/run-one-off.ts). */
export function registerRun(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description(
      'run a command once on a host of the environment, in the release that serves there (its directory, or a new container of its image), with its environment and secrets; prints its output (secrets redacted) and exits with its exit code; -it attaches your terminal (a console); ledgered as command.ran (the command, never a value)',
    )
    .argument('<env>', 'environment name')
    .argument('<command...>', 'the command and its arguments, after -- (an argv; `sh -c "…"` for a shell)')
    .option('--host <name>', 'the host to run on (needed when the environment has several, or --any)')
    .option('--any', 'run on the first host, in the order of slipway.yml, that answers and serves')
    .option('-i, --interactive', 'attach your stdin to the command (its output is not redacted; no timeout)')
    .option(
      '-t, --tty',
      'give the command a terminal on the host (implies -i; your stdin must be a terminal)',
    )
    .option(
      '--timeout <duration>',
      `stop the command (and what it started) after this long (default ${DEFAULT_TIMEOUT})`,
    )
    .action(async (env: string, argv: string[], opts: RunOptions) => {
      if (opts.host !== undefined && opts.any) {
        throw new InputError('--host and --any both say where to run', { hint: 'give one of them' });
      }
      const interactive = opts.interactive === true || opts.tty === true;
      if (interactive && opts.timeout !== undefined) {
        throw new InputError('--timeout is for commands that run on their own, not with -i or -t', {
          hint: 'leave it out; end the command from your terminal',
        });
      }
      if (opts.tty && !process.stdin.isTTY) {
        throw new InputError('-t needs a terminal, and stdin is not one', {
          hint: 'use -i alone to pipe input to the command',
        });
      }
      const timeoutMs = parseDurationMs(opts.timeout ?? DEFAULT_TIMEOUT);
      if (timeoutMs === undefined || timeoutMs <= 0) {
        throw new InputError(`--timeout ${opts.timeout ?? ''} is not a duration`, {
          hint: 'e.g. 30s, 10m, 2h',
        });
      }
      const where = opts.host ? { host: opts.host } : opts.any ? { host: { any: true as const } } : {};
      await withProject(globals(), async (project) => {
        const result = interactive
          ? await runInteractively(project, { environment: env, argv, tty: opts.tty === true, ...where })
          : await runOneOff(project, { environment: env, argv, timeoutMs, ...where }, (stream, line) =>
              (stream === 'err' ? process.stderr : process.stdout).write(`${line}\n`),
            );
        const how = describeRunEnd(result, timeoutMs);
        process.stderr.write(dim(`ran on ${result.host} in ${result.release}: ${how}\n`));
        process.exitCode = result.timedOut ? 124 : (result.exitCode ?? 137);
      });
    });
}
