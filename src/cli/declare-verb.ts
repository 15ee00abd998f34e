import { Option, type Command } from 'commander';
import type { GlobalOptions } from './project.js';
import type { ApiClient } from './remote/api-client.js';
import { refuseLocalOnlyOption } from './remote/refuse-local-only.js';

/**
 * A verb that runs here (on this machine's project) or, with `--server`, on a slipway server: declared once — its
 * name, arguments, options and description — with an action for each mode, each loaded only when the verb runs.
 * The local and the remote program both build their command from this declaration, so an option exists in both
 * or, marked `localOnly`, is refused over `--server` with a message; it cannot silently differ.
 */
export interface VerbDeclaration<A extends unknown[] = never[]> {
  name: string;
  description: string;
  arguments?: readonly VerbArgument[];
  options?: readonly VerbOption[];
  /** The action on this machine's project: loads the verb's own code (src/cli/<verb>.ts). */
  local: () => Promise<(globals: () => GlobalOptions) => VerbHandler<A>>;
  /** The action over the server's HTTP API (src/cli/remote/). */
  remote: () => Promise<(remote: () => ApiClient) => VerbHandler<A>>;
}

/** A verb that only groups subcommands (`slipway release create`). */
export interface VerbGroup {
  name: string;
  description: string;
  subcommands: readonly DeclaredVerb[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table holds verbs of different arguments
export type DeclaredVerb = VerbDeclaration<any[]> | VerbGroup;

/** What commander passes to an action: the operands, then the options. */
export type VerbHandler<A extends unknown[]> = (...args: A) => Promise<void>;

export interface VerbArgument {
  /** As commander takes it: `<env>`, `[env]`. */
  name: string;
  description: string;
}

export interface VerbOption {
  /** As commander takes them: `-r, --release <version>`. */
  flags: string;
  description: string;
  default?: unknown;
  parse?: (value: string, previous: unknown) => unknown;
  /** A value must be given (`requiredOption`). */
  required?: boolean;
  /** Works on this machine only: over `--server` it is refused with a message naming it, never ignored. */
  localOnly?: boolean;
}

/** The actions of this run: here, with the global options, or on the server, with its API client. */
export type VerbMode =
  { mode: 'local'; globals: () => GlobalOptions } | { mode: 'remote'; remote: () => ApiClient };

/** The identity, so that each declaration's local and remote actions are checked against the same arguments. */
export function declareVerb<A extends unknown[]>(verb: VerbDeclaration<A>): VerbDeclaration<A> {
  return verb;
}

/** Adds `verb` (and its subcommands) to `parent`, with the actions of `mode`. */
export function addVerb(parent: Command, verb: DeclaredVerb, mode: VerbMode): Command {
  const command = parent.command(verb.name).description(verb.description);
  if ('subcommands' in verb) {
    for (const sub of verb.subcommands) addVerb(command, sub, mode);
    return command;
  }
  for (const a of verb.arguments ?? []) command.argument(a.name, a.description);
  for (const o of verb.options ?? []) command.addOption(optionOf(o, mode.mode));
  command.action(async (...args: unknown[]) => {
    // commander passes the operands, the options, then the command itself.
    const operands = args.slice(0, -1) as never[];
    if (mode.mode === 'local') return (await verb.local())(mode.globals)(...operands);
    refuseLocalOnlyOptions(command, verb.options ?? []);
    return (await verb.remote())(mode.remote)(...operands);
  });
  return command;
}

function optionOf(o: VerbOption, mode: VerbMode['mode']): Option {
  const remoteRefused = mode === 'remote' && o.localOnly === true;
  const option = new Option(
    o.flags,
    remoteRefused ? `${o.description} (local only: refused over --server)` : o.description,
  );
  if (o.parse) option.argParser(o.parse);
  if (o.default !== undefined) option.default(o.default);
  if (o.required) option.makeOptionMandatory();
  return option;
}

/** The command's path as typed after `slipway`: `deploy`, `release create`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Over `--server`, a local-only option given on the command line is refused (its default alone is not). */
function refuseLocalOnlyOptions(command: Command, options: readonly VerbOption[]): void {
  for (const o of options) {
    if (!o.localOnly) continue;
    const option = command.options.find((c) => c.flags === o.flags);
    if (!option) continue;
    const source = command.getOptionValueSource(option.attributeName());
    if (source !== undefined && source !== 'default')
      refuseLocalOnlyOption(commandPath(command), option.long ?? o.flags);
  }
}
