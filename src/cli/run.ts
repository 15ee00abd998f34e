import type { Command } from 'commander';
import { parseDurationMs } from '../core/duration.js';
import { InputError } from '../core/errors.js';
import { describeRunEnd, runOneOff } from '../operations/run-one-off.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim } from './progress-renderer.js';

/** `slipway run <env> [--host H | --any] [--timeout D] -- <command…>` (src/operations/run-one-off.ts). */
export function registerRun(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description(
      'run a command once on a host of the environment, in the release that serves there (its directory, or a new container of its image), with its environment and secrets; prints its output (secrets redacted) and exits with its exit code; ledgered as command.ran (the command, never a value)',
    )
    .argument('<env>', 'environment name')
    .argument('<command...>', 'the command and its arguments, after -- (an argv; `sh -c "…"` for a shell)')
    .option('--host <name>', 'the host to run on (needed when the environment has several, or --any)')
    .option('--any', 'run on the first host, in the order of slipway.yml, that answers and serves')
    .option('--timeout <duration>', 'stop the command (and what it started) after this long', '1h')
    .action(async (env: string, argv: string[], opts: { host?: string; any?: boolean; timeout: string }) => {
      if (opts.host !== undefined && opts.any) {
        throw new InputError('--host and --any both say where to run', { hint: 'give one of them' });
      }
      const timeoutMs = parseDurationMs(opts.timeout);
      if (timeoutMs === undefined || timeoutMs <= 0) {
        throw new InputError(`--timeout ${opts.timeout} is not a duration`, { hint: 'e.g. 30s, 10m, 2h' });
      }
      await withProject(globals(), async (project) => {
        const result = await runOneOff(
          project,
          {
            environment: env,
            argv,
            timeoutMs,
            ...(opts.host ? { host: opts.host } : opts.any ? { host: { any: true as const } } : {}),
          },
          (stream, line) => (stream === 'err' ? process.stderr : process.stdout).write(`${line}\n`),
        );
        const how = describeRunEnd(result, timeoutMs);
        process.stderr.write(dim(`ran on ${result.host} in ${result.release}: ${how}\n`));
        process.exitCode = result.timedOut ? 124 : (result.exitCode ?? 137);
      });
    });
}
