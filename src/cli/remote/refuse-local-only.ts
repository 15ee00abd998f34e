import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';

/**
 * Verbs that work on this machine's hosts, agents, files or store, or that run for a long time as a service:
 * over `--server` they are refused with a clear message instead of silently running locally.
 */
export function registerLocalOnlyVerb(program: Command, name: string): void {
  program
    .command(name, { hidden: true })
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .argument('[args...]')
    .action(() => {
      throw new InputError(`\`slipway ${name}\` does not work over --server: it runs where the project is`, {
        hint: `run it on the server's machine (or here without --server and SLIPWAY_SERVER)`,
      });
    });
}

/** An option a verb has locally that the server's API does not take: refused, never ignored. */
export function refuseLocalOnlyOption(verb: string, flag: string): never {
  throw new InputError(`${flag} of \`slipway ${verb}\` is not available over --server`, {
    hint: `run it on the server's machine without --server, or drop ${flag}`,
  });
}
