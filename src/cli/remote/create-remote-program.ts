import { Command, Option } from 'commander';
import { addVerb } from '../declare-verb.js';
import { SHARED_VERBS } from '../shared-verbs.js';
import { openRemote, type RemoteGlobalOptions } from './remote-server.js';
import { registerLocalOnlyVerb } from './refuse-local-only.js';

export { wantsRemoteServer } from './remote-server.js';

/**
 * The CLI in `--server` mode: the verbs that make sense over HTTP (../shared-verbs.ts, declared once for both
 * modes) keep their names, arguments, options and output, and talk to the server's API with the token from
 * SLIPWAY_TOKEN; every other verb of the local CLI is refused with a message (it works on this machine's hosts,
 * files or store). Built instead of the local program when `wantsRemoteServer` says so, because commander cannot
 * swap a verb's action after parsing the global options. Each verb's remote code is loaded when it runs.
 */
export function createRemoteProgram(local: Command): Command {
  const program = new Command();
  program
    .name(local.name())
    .description(`${local.description()} (over a server: --server or SLIPWAY_SERVER)`)
    .option('--server <url>', 'the slipway server to talk to (or set SLIPWAY_SERVER); token in SLIPWAY_TOKEN')
    .addOption(new Option('-c, --config <file>').hideHelp())
    .addOption(new Option('--state-dir <dir>').hideHelp())
    .addOption(new Option('--store <url>').hideHelp())
    .addOption(new Option('--token <token>').hideHelp())
    .showHelpAfterError()
    .exitOverride();

  const remote = () => openRemote(program.opts<RemoteGlobalOptions>(), process.env);
  for (const verb of SHARED_VERBS) addVerb(program, verb, { mode: 'remote', remote });
  program
    .command('follow')
    .description('follow a deployment running on the server with the live view (after Ctrl-C detached it)')
    .argument('<deployment>', 'deployment id')
    .action(async (deploymentId: string) =>
      (await import('./remote-deploy.js')).followOnServer(remote)(deploymentId),
    );

  const remoteVerbs = new Set(program.commands.map((c) => c.name()));
  for (const verb of local.commands) {
    if (!remoteVerbs.has(verb.name())) registerLocalOnlyVerb(program, verb.name());
  }
  return program;
}
