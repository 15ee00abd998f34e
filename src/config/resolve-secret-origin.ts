import type { SecretCommandSource } from './secret-sources-schema.js';
import { lookupSecretValue, SECRET_ENV_PREFIX } from './resolve-env.js';

/** Where one secret's value comes from in one environment (docs/secrets.md, "Precedence"). */
export type SecretOrigin =
  | { kind: 'override'; value: string }
  | { kind: 'command'; source: SecretCommandSource }
  | { kind: 'encrypted'; value: string }
  | { kind: 'found'; value: string }
  | { kind: 'missing' };

/**
 * Pure. `SLIPWAY_SECRET_<NAME>` in the process environment first: the on-purpose override (a CI job, a hotfix), so
 * a command is not even run then. Then the environment's command source for the name, if it has one; a bare
 * `<NAME>` in the process environment or the secrets file does not shadow it (a DATABASE_URL left in a shell
 * must not win over the team's declared source). Then the environment's encrypted file (`encrypted`, its
 * decrypted values, when it has one and it was needed), for the same reason: it is a source the team declared and
 * committed. Then, as before, the process environment over `.slipway/secrets/<environment>.env` (`merged`, from
 * loadSecretSource), each SLIPWAY_SECRET_<NAME> then <NAME>.
 */
export function resolveSecretOrigin(
  name: string,
  processEnv: Readonly<Record<string, string | undefined>>,
  sources: Readonly<Record<string, SecretCommandSource>>,
  merged: Readonly<Record<string, string | undefined>>,
  encrypted: Readonly<Record<string, string>> = {},
): SecretOrigin {
  const key = `${SECRET_ENV_PREFIX}${name}`;
  const override = Object.hasOwn(processEnv, key) ? processEnv[key] : undefined;
  if (override !== undefined) return { kind: 'override', value: override };
  const source = Object.hasOwn(sources, name) ? sources[name] : undefined;
  if (source !== undefined) return { kind: 'command', source };
  const fromFile = lookupSecretValue(encrypted, name);
  if (fromFile !== undefined) return { kind: 'encrypted', value: fromFile };
  const value = lookupSecretValue(merged, name);
  return value === undefined ? { kind: 'missing' } : { kind: 'found', value };
}

/** Whether a secret's value could come from the encrypted file: no override and no command gives it. Pure. */
export function mayComeFromEncryptedFile(
  name: string,
  processEnv: Readonly<Record<string, string | undefined>>,
  sources: Readonly<Record<string, SecretCommandSource>>,
): boolean {
  const origin = resolveSecretOrigin(name, processEnv, sources, {});
  return origin.kind !== 'override' && origin.kind !== 'command';
}
