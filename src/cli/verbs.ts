import type { Command } from 'commander';
import type { GlobalOptions } from './project.js';

/** What each verb file exports: it adds its command(s) to the program. */
export type RegisterVerbs = (program: Command, globals: () => GlobalOptions) => void;

/** A verb file: the top-level commands it registers, and how to load it. */
export interface VerbModule {
  names: readonly string[];
  load(): Promise<RegisterVerbs>;
}

/**
 * A verb that also runs on a server (src/cli/shared-verbs.ts): declared there once for both modes, with its local
 * action loaded from its verb file when it runs.
 */
function shared(...names: string[]): VerbModule {
  return { names, load: async () => (await import('./shared-verbs.js')).registerHere(names) };
}

/**
 * Every verb, in the order `slipway --help` lists them, each loaded only when it runs: a command parses the code
 * of its own verb and what that imports, not the whole CLI (esbuild makes a chunk of each `import()`). A test
 * checks that each file registers exactly the names given here.
 */
export const VERB_MODULES: readonly VerbModule[] = [
  { names: ['init'], load: async () => (await import('./init.js')).registerInit },
  { names: ['validate'], load: async () => (await import('./validate.js')).registerValidate },
  shared('release', 'releases'),
  { names: ['setup'], load: async () => (await import('./setup.js')).registerSetup },
  { names: ['check'], load: async () => (await import('./check.js')).registerCheck },
  shared('plan'),
  shared('deploy'),
  shared('rollback'),
  shared('promote', 'abort'),
  shared('unlock'),
  shared('maintenance'),
  {
    names: ['promote-release'],
    load: async () => (await import('./promote-release.js')).registerPromoteRelease,
  },
  shared('approve', 'reject'),
  shared('status'),
  shared('history'),
  shared('logs'),
  { names: ['verify'], load: async () => (await import('./verify.js')).registerVerify },
  { names: ['agent'], load: async () => (await import('./agent.js')).registerAgent },
  {
    names: ['certificates'],
    load: async () => (await import('./certificates.js')).registerCertificates,
  },
  { names: ['secrets'], load: async () => (await import('./secrets.js')).registerSecrets },
  { names: ['run'], load: async () => (await import('./run.js')).registerRun },
  { names: ['monitor'], load: async () => (await import('./monitor.js')).registerMonitor },
  { names: ['top'], load: async () => (await import('./top.js')).registerTop },
  { names: ['errors'], load: async () => (await import('./errors.js')).registerErrors },
  { names: ['migrate'], load: async () => (await import('./migrate.js')).registerMigrate },
  { names: ['db'], load: async () => (await import('./db.js')).registerDb },
  { names: ['data'], load: async () => (await import('./data.js')).registerData },
  { names: ['demo'], load: async () => (await import('./demo.js')).registerDemo },
  { names: ['watch'], load: async () => (await import('./watch.js')).registerWatch },
  { names: ['webhook'], load: async () => (await import('./webhook.js')).registerWebhook },
  { names: ['token'], load: async () => (await import('./token.js')).registerToken },
  { names: ['user'], load: async () => (await import('./user.js')).registerUser },
  { names: ['server'], load: async () => (await import('./server.js')).registerServer },
  {
    names: ['completion', '__complete'],
    load: async () => (await import('./completion.js')).registerCompletion,
  },
];

export const VERB_NAMES: ReadonlySet<string> = new Set(VERB_MODULES.flatMap((m) => m.names));

/** The verb file that registers `verb`, if any. */
export function verbModuleOf(verb: string): VerbModule | undefined {
  return VERB_MODULES.find((m) => m.names.includes(verb));
}

export interface VerbOnCommandLine {
  /** The first operand: the verb as typed (maybe unknown), or null when there is none. */
  verb: string | null;
  /** Its index in `args`, or `args.length` when there is none. */
  index: number;
  /** Whether -h or --help comes before it (the program's help, which lists every verb). */
  helpFirst: boolean;
}

/**
 * Where the verb is in the arguments after `slipway`: the first word that is neither a global option nor the value
 * of one (`valueOptions`: the global options that take a value, e.g. `-c`, `--config`). Pure.
 */
export function findVerb(args: readonly string[], valueOptions: ReadonlySet<string>): VerbOnCommandLine {
  let helpFirst = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') break;
    if (arg === '-h' || arg === '--help') helpFirst = true;
    else if (arg.startsWith('-') && arg.length > 1) {
      // `--config=x` and `-cx` carry their value; `--config x` and `-c x` take the next word.
      if (valueOptions.has(arg)) i++;
    } else return { verb: arg, index: i, helpFirst };
  }
  return { verb: null, index: args.length, helpFirst };
}

/**
 * Which verb files to load for these arguments: the named verb's alone; all of them for the program's help, a
 * missing or unknown verb (commander lists them, or suggests one) and `slipway help <verb>`.
 */
export function verbModulesFor({ verb, helpFirst }: VerbOnCommandLine): VerbModule[] {
  const module = verb !== null && !helpFirst ? verbModuleOf(verb) : undefined;
  return module ? [module] : [...VERB_MODULES];
}
