import type { Command } from 'commander';
import { parseDurationMs } from '../core/duration.js';
import { InputError } from '../core/errors.js';
import { describeRunEnd, runOneOff } from '../operations/run-one-off.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim } from './progress-renderer.js';

/** `slipway run <env> [--host H] [--timeout D] -- <command…>` (src/operations/run-one-off.ts). */
export function registerRun(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description(
      'run a command once on a host of the environment, in the directory of the release that serves there, with its environment and secrets; prints its output (secrets redacted) and exits with its exit code; ledgered as command.ran (the command, never a value). Processes only, not interactive',
    )
    .argument('<env>', 'environment name')
    .argument('<command...>', 'the command and its arguments, after -- (an argv; `sh -c "…"` for a shell)')
    .option('--host <name>', 'the host to run on (default: the first of the environment that serves)')
    .option('--timeout <duration>', 'stop the command (and what it started) after this long', '1h')
    .action(async (env: string, argv: string[], opts: { host?: string; timeout: string }) => {
      const timeoutMs = parseDurationMs(opts.timeout);
      if (timeoutMs === undefined || timeoutMs <= 0) {
        throw new InputError(`--timeout ${opts.timeout} is not a duration`, { hint: 'e.g. 30s, 10m, 2h' });
      }
      await withProject(globals(), async (project) => {
        const result = await runOneOff(
          project,
          { environment: env, argv, timeoutMs, ...(opts.host ? { host: opts.host } : {}) },
          (stream, line) => (stream === 'err' ? process.stderr : process.stdout).write(`${line}\n`),
        );
        const how = describeRunEnd(result, timeoutMs);
        process.stderr.write(dim(`ran on ${result.host} in ${result.release}: ${how}\n`));
        process.exitCode = result.exitCode ?? (result.timedOut ? 124 : 137);
      });
    });
}
