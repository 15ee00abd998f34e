import { Command } from 'commander';
import { registerAgent } from './agent.js';
import { registerApproveAndReject } from './approve.js';
import { registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerDeploy } from './deploy.js';
import { registerHistory } from './history.js';
import { registerInit } from './init.js';
import { registerLogs } from './logs.js';
import { registerErrors } from './errors.js';
import { registerMonitor } from './monitor.js';
import { registerTop } from './top.js';
import { registerPlan } from './plan.js';
import { registerPromoteAndAbort } from './promote.js';
import { registerPromoteRelease } from './promote-release.js';
import { registerReleases } from './releases.js';
import { registerRollback } from './rollback.js';
import { registerSetup } from './setup.js';
import { registerStatus } from './status.js';
import { registerUnlock } from './unlock.js';
import { registerValidate } from './validate.js';
import { registerVerify } from './verify.js';
import { registerWatch } from './watch.js';
import { registerWebhook } from './webhook.js';
import { registerDb } from './db.js';
import { registerMigrate } from './migrate.js';
import { registerToken } from './token.js';
import { registerUser } from './user.js';
import { registerServer } from './server.js';
import { createRemoteProgram, wantsRemoteServer } from './remote/create-remote-program.js';
import { SLIPWAY_VERSION } from '../core/version.js';
import { wantsVersion } from './wants-version.js';
import type { GlobalOptions } from './project.js';
import { reportError } from './report-error.js';

const program = new Command();
program
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
  .exitOverride();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

registerInit(program, globals);
registerValidate(program, globals);
registerReleases(program, globals);
registerSetup(program, globals);
registerCheck(program, globals);
registerPlan(program, globals);
registerDeploy(program, globals);
registerRollback(program, globals);
registerPromoteAndAbort(program, globals);
registerUnlock(program, globals);
registerPromoteRelease(program, globals);
registerApproveAndReject(program, globals);
registerStatus(program, globals);
registerHistory(program, globals);
registerLogs(program, globals);
registerVerify(program, globals);
registerAgent(program, globals);
registerMonitor(program, globals);
registerTop(program, globals);
registerErrors(program, globals);
registerMigrate(program, globals);
registerDb(program, globals);
registerDemo(program);
registerWatch(program, globals);
registerWebhook(program, globals);
registerToken(program, globals);
registerUser(program, globals);
registerServer(program, globals);

program.addHelpText('after', `\nslipway ${SLIPWAY_VERSION} (-V, --version before a verb prints it)`);

try {
  const verbs = new Set(program.commands.map((c) => c.name()));
  if (wantsVersion(process.argv.slice(2), verbs)) {
    process.stdout.write(`${SLIPWAY_VERSION}\n`);
  } else {
    // With --server (or SLIPWAY_SERVER) the verbs talk to the server's API instead (src/cli/remote/).
    const remote = wantsRemoteServer(process.argv, process.env) ? createRemoteProgram(program) : null;
    await (remote ?? program).parseAsync(process.argv);
  }
} catch (err) {
  process.exitCode = reportError(err, (text) => process.stderr.write(text));
}
