import { Command } from 'commander';
import { SLIPWAY_VERSION } from '../core/version.js';
import type { GlobalOptions } from './project.js';
import { wantsRemoteServer } from './remote/wants-remote-server.js';
import { reportError } from './report-error.js';
import { findVerb, VERB_NAMES, verbModulesFor } from './verbs.js';

/** The program with its global options and no verb yet. */
export function createProgram(): Command {
  return new Command()
    .name('slipway')
    .description('Deploy releases to your own servers with zero downtime, and roll back in milliseconds.')
    .option('-c, --config <file>', 'path to slipway.yml (or its directory)', undefined)
    .option(
      '--state-dir <dir>',
      'where the store, artifacts and local agent live (default: .slipway beside slipway.yml)',
    )
    .option(
      '--store <url>',
      'keep the store in PostgreSQL at this postgres:// URL (or set SLIPWAY_STORE_URL; default: SQLite in the state dir)',
    )
    .option(
      '--server <url>',
      'run the verb on a slipway server (or set SLIPWAY_SERVER; token in SLIPWAY_TOKEN)',
    )
    .showHelpAfterError()
    .exitOverride()
    .addHelpText('after', `\nslipway ${SLIPWAY_VERSION} (-V, --version before a verb prints it)`);
}

/** The global options that take a value, as typed: `-c`, `--config`, `--state-dir` … */
export function globalValueOptions(program: Command): ReadonlySet<string> {
  return new Set(
    program.options
      .filter((o) => o.required || o.optional)
      .flatMap((o) => [o.short, o.long].filter((flag): flag is string => flag !== undefined)),
  );
}

/** Runs the command line (`argv` as in process.argv); errors become output and the exit code here. */
export async function runProgram(argv: readonly string[]): Promise<void> {
  try {
    const program = createProgram();
    const globals = (): GlobalOptions => program.opts<GlobalOptions>();
    const found = findVerb(argv.slice(2), globalValueOptions(program));
    // With --server (or SLIPWAY_SERVER) the verbs of shared-verbs.ts run their remote actions (src/cli/remote/),
    // over the server's API; the remote program needs only the other verbs' names, to refuse them with a message.
    const localOnly = found.verb === 'completion' || found.verb === '__complete';
    if (!localOnly && wantsRemoteServer(argv, process.env)) {
      for (const name of VERB_NAMES) program.command(name);
      const { createRemoteProgram } = await import('./remote/create-remote-program.js');
      await createRemoteProgram(program).parseAsync(argv);
      return;
    }
    const modules = verbModulesFor(found);
    for (const register of await Promise.all(modules.map((m) => m.load()))) register(program, globals);
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err, (text) => process.stderr.write(text));
  }
}
