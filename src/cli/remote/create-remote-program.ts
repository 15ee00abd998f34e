import { Command, Option } from 'commander';
import { registerRemoteDecisions } from './remote-decisions.js';
import { registerRemoteDeploy } from './remote-deploy.js';
import { registerRemoteReads } from './remote-reads.js';
import { openRemote, type RemoteGlobalOptions } from './remote-server.js';
import { registerLocalOnlyVerb } from './refuse-local-only.js';

export { wantsRemoteServer } from './remote-server.js';

/**
 * The CLI in `--server` mode: the verbs that make sense over HTTP keep their names, arguments and output, and
 * talk to the server's API with the token from SLIPWAY_TOKEN; every other verb of the local CLI is refused with
 * a message (it works on this machine's hosts, files or store). Built instead of the local program when
 * `wantsRemoteServer` says so, because commander cannot swap a verb's action after parsing the global options.
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
  registerRemoteReads(program, remote);
  registerRemoteDeploy(program, remote);
  registerRemoteDecisions(program, remote);

  const remoteVerbs = new Set(program.commands.map((c) => c.name()));
  for (const verb of local.commands) {
    if (!remoteVerbs.has(verb.name())) registerLocalOnlyVerb(program, verb.name());
  }
  return program;
}
