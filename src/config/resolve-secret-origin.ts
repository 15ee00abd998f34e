import type { SecretCommandSource } from './secret-sources-schema.js';
import { lookupSecretValue, SECRET_ENV_PREFIX } from './resolve-env.js';

/** Where one secret's value comes from in one environment (docs/secrets.md, "Precedence"). */
export type SecretOrigin =
  | { kind: 'override'; value: string }
  | { kind: 'command'; source: SecretCommandSource }
  | { kind: 'found'; value: string }
  | { kind: 'missing' };

/**
 * Pure. `SLIPWAY_SECRET_<NAME>` in the process environment first: the on-purpose override (a CI job, a hotfix), so
 * a command is not even run then. Then the environment's command source for the name, if it has one; a bare
 * `<NAME>` in the process environment or the secrets file does not shadow it (a DATABASE_URL left in a shell
 * must not win over the team's declared source). Then, as before, the process environment over
 * `.slipway/secrets/<environment>.env` (`merged`, from loadSecretSource), each SLIPWAY_SECRET_<NAME> then <NAME>.
 */
export function resolveSecretOrigin(
  name: string,
  processEnv: Readonly<Record<string, string | undefined>>,
  sources: Readonly<Record<string, SecretCommandSource>>,
  merged: Readonly<Record<string, string | undefined>>,
): SecretOrigin {
  const key = `${SECRET_ENV_PREFIX}${name}`;
  const override = Object.hasOwn(processEnv, key) ? processEnv[key] : undefined;
  if (override !== undefined) return { kind: 'override', value: override };
  const source = Object.hasOwn(sources, name) ? sources[name] : undefined;
  if (source !== undefined) return { kind: 'command', source };
  const value = lookupSecretValue(merged, name);
  return value === undefined ? { kind: 'missing' } : { kind: 'found', value };
}
