import { parseDurationMs } from '../core/duration.js';
import { Secret } from '../core/secret.js';
import { loadSecretSource } from '../config/load-secret-source.js';
import { homedir } from 'node:os';
import { loadEncryptedSecrets } from '../config/load-encrypted-secrets.js';
import { mayComeFromEncryptedFile, resolveSecretOrigin } from '../config/resolve-secret-origin.js';
import { runCommand as runCommandOnce, type CommandOptions, type CommandRun } from '../core/run-command.js';
import { deriveSecretCommandValue, SECRET_COMMAND_MAX_STDOUT_BYTES } from '../config/secret-command-value.js';
import type { EnvironmentConfig, SlipwayConfig } from '../config/schema.js';
import type { SecretCommandSource } from '../config/secret-sources-schema.js';
import { DEFAULTS } from '../config/defaults.js';
import type { ControlPlane } from './control-plane.js';

export interface SecretLoaderDeps {
  config: SlipwayConfig;
  stateDir: string;
  /** Where commands run: the directory of slipway.yml. */
  projectDir: string;
  processEnv: Readonly<Record<string, string | undefined>>;
  /** Runs a secret's command (tests pass a fake); default: runCommand. */
  runCommand?: (options: CommandOptions) => Promise<CommandRun>;
  /** Where `~/` of an identity path is; default: the user's home directory. */
  homeDir?: string;
}

export type LoadSecrets = ControlPlane['loadSecrets'];

/**
 * `loadSecrets` for one scope: a CLI run, or one server job or request. A secret's command runs at most once in
 * the scope (its value, or its failure, is kept in memory only, here), one command at a time (a password manager
 * may ask for an unlock). So is an environment's encrypted file decrypted at most once, and only when a secret
 * asked for may come from it (neither overridden nor given by a command). Everything else is read on each call, as
 * before: the process environment and `.slipway/secrets/<environment>.env`. A failing command throws
 * SecretSourceError; a file that cannot be decrypted, EncryptedSecretsError.
 */
export function createSecretLoader(deps: SecretLoaderDeps): LoadSecrets {
  const runCommand = deps.runCommand ?? runCommandOnce;
  const fromCommands = new Map<string, Promise<string>>();
  const fromFiles = new Map<string, Promise<Record<string, string>>>();
  const fetched: string[] = [];

  // The file's values when a name may come from it; else those decrypted before in the scope, if any (to redact a
  // command's stderr with), and never its failure: these names do not need it.
  const decrypted = (environment: string, names: readonly string[]): Promise<Record<string, string>> => {
    const settings = environmentOf(deps.config, environment)?.encryptedSecrets;
    const sources = environmentOf(deps.config, environment)?.secretSources ?? {};
    if (!settings || !names.some((name) => mayComeFromEncryptedFile(name, deps.processEnv, sources))) {
      return (fromFiles.get(environment) ?? Promise.resolve({})).catch(() => ({}));
    }
    let values = fromFiles.get(environment);
    if (values === undefined) {
      values = loadEncryptedSecrets({
        app: deps.config.app,
        environment,
        settings,
        projectDir: deps.projectDir,
        processEnv: deps.processEnv,
        homeDir: deps.homeDir ?? homedir(),
      });
      fromFiles.set(environment, values);
    }
    return values;
  };

  return async (environment, names) => {
    const merged = await loadSecretSource(deps.stateDir, environment, deps.processEnv);
    const encrypted = await decrypted(environment, names);
    const sources = environmentOf(deps.config, environment)?.secretSources ?? {};
    const secrets = new Map<string, Secret>();
    const commands: Array<[string, SecretCommandSource]> = [];
    for (const name of names) {
      const origin = resolveSecretOrigin(name, deps.processEnv, sources, merged, encrypted);
      if (origin.kind === 'command') commands.push([name, origin.source]);
      else if (origin.kind !== 'missing') secrets.set(name, new Secret(name, origin.value));
    }
    // Values of the environment's other secrets, for redacting a command's stderr: a manager may echo any.
    const others = [...deps.config.secrets, ...(environmentOf(deps.config, environment)?.secrets ?? [])]
      .map((name) => resolveSecretOrigin(name, deps.processEnv, sources, merged, encrypted))
      .flatMap((origin) => (origin.kind === 'command' || origin.kind === 'missing' ? [] : [origin.value]));
    for (const [name, source] of commands) {
      const key = `${environment}\u0000${name}`;
      let value = fromCommands.get(key);
      if (value === undefined) {
        const knownValues = [...others, ...fetched];
        value = fetchFromCommand(runCommand, deps, { environment, name, source, knownValues });
        fromCommands.set(key, value);
        fetched.push(await value);
      }
      secrets.set(name, new Secret(name, await value));
    }
    return secrets;
  };
}

async function fetchFromCommand(
  runCommand: NonNullable<SecretLoaderDeps['runCommand']>,
  deps: SecretLoaderDeps,
  want: { environment: string; name: string; source: SecretCommandSource; knownValues: string[] },
): Promise<string> {
  const timeoutMs =
    parseDurationMs(want.source.timeout) ?? parseDurationMs(DEFAULTS.secretCommandTimeout) ?? 30_000;
  const run = await runCommand({
    command: want.source.command,
    timeoutMs,
    cwd: deps.projectDir,
    env: deps.processEnv,
    maxStdoutBytes: SECRET_COMMAND_MAX_STDOUT_BYTES,
  });
  return deriveSecretCommandValue(run, {
    secret: want.name,
    environment: want.environment,
    command: want.source.command,
    timeoutMs,
    knownValues: want.knownValues,
  });
}

function environmentOf(config: SlipwayConfig, environment: string): EnvironmentConfig | undefined {
  return Object.hasOwn(config.environments, environment) ? config.environments[environment] : undefined;
}
