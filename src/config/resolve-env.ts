import { UnknownNameError } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import type { SlipwayConfig } from './schema.js';
import { suggestClosest } from './suggest-key.js';

export interface TargetEnv {
  /** Plain variables: the app's `env` overlaid by the environment's `env`. */
  env: Record<string, string>;
  /** Secrets found in the source, app-level names first, each once. */
  secrets: Secret[];
  /** Secret names with no value in the source; the caller decides how to fail. */
  missing: string[];
}

/** Where a secret is looked up first; the bare name comes second. */
export const SECRET_ENV_PREFIX = 'SLIPWAY_SECRET_';

/**
 * The environment a target of `environmentName` runs with. Pure: secret values come from `secretSource`
 * (see loadSecretSource), looked up as SLIPWAY_SECRET_<NAME>, then <NAME>. An empty value counts as set.
 */
export function resolveTargetEnv(
  config: SlipwayConfig,
  environmentName: string,
  secretSource: Readonly<Record<string, string | undefined>>,
): TargetEnv {
  const environment = Object.hasOwn(config.environments, environmentName)
    ? config.environments[environmentName]
    : undefined;
  if (environment === undefined) throw unknownEnvironment(config, environmentName);

  const secrets: Secret[] = [];
  const missing: string[] = [];
  for (const name of new Set([...config.secrets, ...environment.secrets])) {
    const value = lookupSecretValue(secretSource, name);
    if (value === undefined) missing.push(name);
    else secrets.push(new Secret(name, value));
  }
  return { env: { ...config.env, ...environment.env }, secrets, missing };
}

/** A secret's value in a source: SLIPWAY_SECRET_<NAME> first, then <NAME>. */
export function lookupSecretValue(
  source: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  return lookup(source, `${SECRET_ENV_PREFIX}${name}`) ?? lookup(source, name);
}

function lookup(source: Readonly<Record<string, string | undefined>>, key: string): string | undefined {
  return Object.hasOwn(source, key) ? source[key] : undefined;
}

function unknownEnvironment(config: SlipwayConfig, name: string): UnknownNameError {
  const names = Object.keys(config.environments);
  const suggestion = suggestClosest(name, names);
  return new UnknownNameError(`no environment named "${name}" in slipway.yml`, {
    hint: suggestion
      ? `did you mean "${suggestion}"? (environments: ${names.join(', ')})`
      : `environments: ${names.join(', ')}`,
  });
}
