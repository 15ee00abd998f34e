import { existsSync } from 'node:fs';
import { Argument, Command, type Option } from 'commander';
import type { GlobalOptions } from './project.js';
import { VERB_MODULES, verbModuleOf } from './verbs.js';

/** An option as completion sees it: its flags and, when it takes a value, the value's name and choices. */
export interface OptionSpec {
  flags: readonly string[];
  value: ValueSpec | null;
}

/** An argument's or an option's value: its name in the help (`<env>`, `<version>`) and the choices, if fixed. */
export interface ValueSpec {
  name: string;
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  subcommands: readonly CommandSpec[];
  arguments: readonly (ValueSpec & { variadic: boolean })[];
  options: readonly OptionSpec[];
}

/** Where the candidates come from: the verbs, their commands (loaded on demand) and the project's facts. */
export interface CompletionSources {
  verbs: readonly string[];
  globalOptions: readonly OptionSpec[];
  specOf(verb: string): Promise<CommandSpec | undefined>;
  /** The environments of the project's slipway.yml; the global options typed so far say which project. */
  environments(globals: GlobalOptions): Promise<string[]>;
  /** The versions of the releases in the project's store. */
  releases(globals: GlobalOptions): Promise<string[]>;
}

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/**
 * The candidates for the last of `words` (the words after `slipway`, the last one being typed, maybe empty):
 * verbs, sub-verbs, options, fixed choices, environments (values named env or environment) and release versions
 * (values named version, except that of `--version`, which names a new release). Nothing for a value Slipway
 * cannot know (a file, a reason …): the shell then offers file names.
 */
export async function completeWords(words: readonly string[], sources: CompletionSources): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const typed = words.slice(0, -1);
  const globals: GlobalOptions = {};
  const matching = (candidates: readonly string[]): string[] => [
    ...new Set(candidates.filter((c) => c.startsWith(current))),
  ];

  let i = 0;
  for (; i < typed.length && isOption(typed[i] ?? ''); i++) {
    const found = findOption(sources.globalOptions, typed[i] ?? '');
    if (!found?.option.value) continue;
    if (found.inlineValue !== null) recordGlobal(globals, found.option, found.inlineValue);
    else if (i + 1 === typed.length) return [];
    else recordGlobal(globals, found.option, typed[++i] ?? '');
  }
  const verb = typed[i];
  if (verb === undefined) {
    return matching(current.startsWith('-') ? longFlags(sources.globalOptions) : sources.verbs);
  }
  if (verb === 'help') return typed.length === i + 1 ? matching(sources.verbs) : [];

  let command = await sources.specOf(verb);
  if (!command) return [];
  let operands = 0;
  let expecting: OptionSpec | null = null;
  for (const word of typed.slice(i + 1)) {
    if (expecting) {
      recordGlobal(globals, expecting, word);
      expecting = null;
    } else if (isOption(word)) {
      const found = findOption([...command.options, ...sources.globalOptions], word);
      if (found?.option.value && found.inlineValue === null) expecting = found.option;
      else if (found?.inlineValue) recordGlobal(globals, found.option, found.inlineValue);
    } else {
      const sub: CommandSpec | undefined = command.subcommands.find((c) => c.name === word);
      if (sub && operands === 0) command = sub;
      else operands++;
    }
  }

  if (expecting?.value) return matching(await valuesOf(expecting.value, expecting.flags, globals, sources));
  if (current.startsWith('-')) return matching([...longFlags(command.options), '--help']);
  if (command.subcommands.length > 0) {
    return operands === 0 ? matching(command.subcommands.map((c) => c.name)) : [];
  }
  const last = command.arguments.at(-1);
  const argument = command.arguments[operands] ?? (last?.variadic ? last : undefined);
  return argument ? matching(await valuesOf(argument, [], globals, sources)) : [];
}

async function valuesOf(
  value: ValueSpec,
  flags: readonly string[],
  globals: GlobalOptions,
  sources: CompletionSources,
): Promise<readonly string[]> {
  if (value.choices) return value.choices;
  if (value.name === 'env' || value.name === 'environment') return sources.environments(globals);
  if (value.name === 'version' && !flags.includes('--version')) return sources.releases(globals);
  return [];
}

function isOption(word: string): boolean {
  return word.startsWith('-') && word.length > 1;
}

/** The option a word names, with the value the word carries (`--config=x`, `-cx`), if any. */
function findOption(
  options: readonly OptionSpec[],
  word: string,
): { option: OptionSpec; inlineValue: string | null } | undefined {
  const long = word.startsWith('--');
  const equals = word.indexOf('=');
  const flag = long ? (equals < 0 ? word : word.slice(0, equals)) : word.slice(0, 2);
  const option = options.find((o) => o.flags.includes(flag));
  if (!option) return undefined;
  const rest = long ? (equals < 0 ? null : word.slice(equals + 1)) : word.length > 2 ? word.slice(2) : null;
  return { option, inlineValue: option.value ? rest : null };
}

function longFlags(options: readonly OptionSpec[]): string[] {
  return options.flatMap((o) => o.flags.filter((f) => f.startsWith('--')));
}

function recordGlobal(globals: GlobalOptions, option: OptionSpec, value: string): void {
  if (option.flags.includes('--config')) globals.config = value;
  else if (option.flags.includes('--state-dir')) globals.stateDir = value;
  else if (option.flags.includes('--store')) globals.store = value;
}

/** A registered commander command as data, for completion. */
export function describeCommand(command: Command): CommandSpec {
  return {
    name: command.name(),
    subcommands: command.commands.map(describeCommand),
    arguments: command.registeredArguments.map((a) => ({
      name: a.name(),
      variadic: a.variadic,
      ...(a.argChoices ? { choices: a.argChoices } : {}),
    })),
    options: command.options.filter((o) => !o.hidden).map(describeOption),
  };
}

function describeOption(option: Option): OptionSpec {
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags);
  const takesValue = option.required || option.optional;
  return {
    flags: [option.short, option.long].filter((f): f is string => f !== undefined),
    value: takesValue
      ? { name: placeholder?.[1] ?? 'value', ...(option.argChoices ? { choices: option.argChoices } : {}) }
      : null,
  };
}

/**
 * The real sources: the verb table, the program's global options, the verb's file (only that one is loaded),
 * slipway.yml and the store.
 */
export function completionSources(program: Command): CompletionSources {
  return {
    verbs: [...VERB_MODULES.flatMap((m) => m.names).filter((v) => !v.startsWith('__')), 'help'],
    globalOptions: program.options.filter((o) => !o.hidden).map(describeOption),
    specOf: loadVerbSpec,
    environments: quietly(loadEnvironments),
    releases: quietly(loadReleaseVersions),
  };
}

/** The verb's command as its file registers it. */
async function loadVerbSpec(verb: string): Promise<CommandSpec | undefined> {
  const module = verbModuleOf(verb);
  if (!module) return undefined;
  const scratch = new Command();
  (await module.load())(scratch, () => ({}));
  const command = scratch.commands.find((c) => c.name() === verb || c.aliases().includes(verb));
  return command ? describeCommand(command) : undefined;
}

async function loadEnvironments(globals: GlobalOptions): Promise<string[]> {
  const { loadConfig } = await import('../config/load-config.js');
  const { config } = await loadConfig(globals.config);
  return Object.keys(config.environments);
}

/** Newest first, from the store; none when the project has no store yet (completing does not create one). */
async function loadReleaseVersions(globals: GlobalOptions): Promise<string[]> {
  const [{ loadConfig }, { resolveStateDir, resolveStoreLocation }, { openStore }] = await Promise.all([
    import('../config/load-config.js'),
    import('../control-plane/open-project.js'),
    import('../store/index.js'),
  ]);
  const loaded = await loadConfig(globals.config);
  const location = resolveStoreLocation(globals, resolveStateDir(globals, loaded.dir), process.env);
  if (location.kind === 'sqlite' && !existsSync(location.file)) return [];
  const store = await openStore(location);
  try {
    const releases = await store.listReleases(loaded.config.app);
    return releases.sort((a, b) => b.createdAtMs - a.createdAtMs).map((r) => r.version);
  } finally {
    await store.close();
  }
}

/** A broken or missing slipway.yml, or an unreachable store, completes nothing: a shell cannot show errors. */
function quietly(load: (globals: GlobalOptions) => Promise<string[]>) {
  return (globals: GlobalOptions): Promise<string[]> => load(globals).catch(() => []);
}

/**
 * The shell's side: each asks `slipway __complete -- <words after slipway, up to the cursor>` for candidates,
 * one a line, and falls back to file names when there are none (a config path, a reason …).
 */
export function completionScript(shell: Shell): string {
  switch (shell) {
    case 'bash':
      return `# slipway completion for bash. Load it with: source <(slipway completion bash)
# or save it as ~/.local/share/bash-completion/completions/slipway
_slipway_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(slipway __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _slipway_complete slipway
`;
    case 'zsh':
      return `#compdef slipway
# slipway completion for zsh. Load it with: source <(slipway completion zsh) (after compinit)
# or save it as _slipway in a directory of your $fpath
_slipway() {
  local -a candidates
  candidates=(\${(f)"$(slipway __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)"})
  if (( \${#candidates} )); then
    compadd -a candidates
  else
    _files
  fi
}
if [ "$funcstack[1]" = "_slipway" ]; then
  _slipway "$@"
else
  compdef _slipway slipway
fi
`;
    case 'fish':
      return `# slipway completion for fish. Load it with: slipway completion fish | source
# or save it as ~/.config/fish/completions/slipway.fish
function __slipway_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    slipway __complete -- $words[2..-1] "$current" 2>/dev/null
end
complete -c slipway -f -a '(__slipway_complete)'
complete -c slipway -s c -l config -r -F
complete -c slipway -l state-dir -r -F
`;
  }
}

export function registerCompletion(program: Command, _globals: () => GlobalOptions): void {
  program
    .command('completion')
    .description('print the shell completion script: source <(slipway completion bash), or zsh, or fish')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: Shell) => {
      process.stdout.write(completionScript(shell));
    });
  program
    .command('__complete', { hidden: true })
    .description('the candidates for the last word (what the completion scripts call)')
    .argument('[words...]')
    .action(async (words: string[]) => {
      const candidates = await completeWords(words, completionSources(program));
      for (const candidate of candidates) process.stdout.write(`${candidate}\n`);
    });
}
