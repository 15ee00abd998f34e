import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, SlipwayError } from '../core/errors.js';
import { parseEnvFile } from './parse-env-file.js';

export type SecretSource = Record<string, string | undefined>;

/**
 * Secret values for one environment: `<stateDir>/secrets/<environment>.env` with the process environment
 * on top (so a CI job can override a value without touching the file). A missing file is fine; a malformed
 * one throws ConfigError with the line. Pass the result to resolveTargetEnv.
 */
export async function loadSecretSource(
  stateDir: string,
  environment: string,
  processEnv: Readonly<Record<string, string | undefined>>,
): Promise<SecretSource> {
  const file = secretsFilePath(stateDir, environment);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new SlipwayError(`cannot read the secrets file ${file}: ${error.message}`, { cause: error });
  });
  if (text === undefined) return { ...processEnv };

  const { values, issues } = parseEnvFile(text, file);
  if (issues.length > 0) throw new ConfigError(issues);
  const merged: SecretSource = { ...values };
  for (const [name, value] of Object.entries(processEnv)) {
    if (value !== undefined) merged[name] = value;
  }
  return merged;
}

/** `<stateDir>/secrets/<environment>.env`; the name must be a plain environment name, never a path. */
export function secretsFilePath(stateDir: string, environment: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(environment)) {
    throw new SlipwayError(`invalid environment name "${environment}"`, {
      hint: 'environment names are lower-case letters, digits and dashes',
    });
  }
  return path.join(stateDir, 'secrets', `${environment}.env`);
}
