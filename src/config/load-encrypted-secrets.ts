import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError, type ConfigIssue } from '../core/errors.js';
import { decryptAgeFile, parseAgeIdentities } from './age-secrets-file.js';
import type { EncryptedSecretsConfig } from './encrypted-secrets-schema.js';
import { parseEnvFile } from './parse-env-file.js';

/** The environment variable that holds an identity itself (a CI job's secret variable). */
export const AGE_IDENTITY_ENV = 'SLIPWAY_AGE_IDENTITY';
/** The environment variable that names an identity file. */
export const AGE_IDENTITY_FILE_ENV = 'SLIPWAY_AGE_IDENTITY_FILE';
/** The largest encrypted secrets file read: far more than any set of secrets. */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * An environment's encrypted secrets file could not give its values. Names the environment and the file (and the
 * identity file), never a value or a key.
 */
export class EncryptedSecretsError extends SlipwayError {
  constructor(
    readonly environment: string,
    readonly file: string,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(`encrypted secrets of environment ${environment} (${file}): ${message}`, options);
  }
}

/** Where the identity that decrypts an environment's file comes from, first found wins. */
export type AgeIdentitySource =
  | { kind: 'variable'; name: typeof AGE_IDENTITY_ENV }
  | { kind: 'file'; file: string; from: 'variable' | 'config' | 'default' };

export interface IdentityContext {
  app: string;
  settings: EncryptedSecretsConfig;
  processEnv: Readonly<Record<string, string | undefined>>;
  homeDir: string;
}

/**
 * Pure. `SLIPWAY_AGE_IDENTITY` (the key itself), then `SLIPWAY_AGE_IDENTITY_FILE`, then the environment's
 * `encryptedSecrets.identity`, then `$XDG_CONFIG_HOME/slipway/age/<app>.key` (`~/.config` without XDG_CONFIG_HOME).
 * The variables come first: a CI job, or an operator on purpose, overrides what slipway.yml says.
 */
export function resolveAgeIdentitySource(context: IdentityContext): AgeIdentitySource {
  const { processEnv } = context;
  if (nonEmpty(processEnv[AGE_IDENTITY_ENV])) return { kind: 'variable', name: AGE_IDENTITY_ENV };
  const named = processEnv[AGE_IDENTITY_FILE_ENV];
  if (nonEmpty(named)) return { kind: 'file', file: expandHome(named, context.homeDir), from: 'variable' };
  if (context.settings.identity !== undefined) {
    return { kind: 'file', file: expandHome(context.settings.identity, context.homeDir), from: 'config' };
  }
  return { kind: 'file', file: defaultAgeIdentityFile(context), from: 'default' };
}

/** `$XDG_CONFIG_HOME/slipway/age/<app>.key`, else `~/.config/slipway/age/<app>.key`. Pure. */
export function defaultAgeIdentityFile(context: Omit<IdentityContext, 'settings'>): string {
  const xdg = context.processEnv.XDG_CONFIG_HOME;
  const configHome = nonEmpty(xdg) && path.isAbsolute(xdg) ? xdg : path.join(context.homeDir, '.config');
  return path.join(configHome, 'slipway', 'age', `${context.app}.key`);
}

/** How an identity source reads in a message. */
export function describeAgeIdentitySource(source: AgeIdentitySource): string {
  if (source.kind === 'variable') return `the identity in ${source.name}`;
  const why = {
    variable: ` (${AGE_IDENTITY_FILE_ENV})`,
    config: ' (encryptedSecrets.identity)',
    default: '',
  };
  return `the identity file ${source.file}${why[source.from]}`;
}

export interface EncryptedSecretsContext extends IdentityContext {
  environment: string;
  /** The directory of slipway.yml: the file's path is relative to it. */
  projectDir: string;
}

/**
 * Reads the environment's identity, decrypts its file, and parses the text as `NAME=value` lines. Every failure
 * throws EncryptedSecretsError: a missing file or identity, an identity that is not a recipient of the file, a
 * damaged file, text that is not `NAME=value` lines (said by line number: a line may hold a value).
 */
export async function loadEncryptedSecrets(
  context: EncryptedSecretsContext,
): Promise<Record<string, string>> {
  const text = await decryptEncryptedSecrets(context);
  const { values, issues } = parseEnvFile(text, '');
  if (issues.length === 0) return values;
  throw encryptedSecretsFailure(context)(
    `the decrypted text is not NAME=value lines (${describeEnvIssueLines(issues)}): ${issues[0]?.message ?? ''}`,
    `fix it with: slipway secrets edit ${context.environment}`,
  );
}

/** `line 3`, `lines 2, 5`: where a parse went wrong, never what the lines hold. Pure. */
export function describeEnvIssueLines(issues: readonly ConfigIssue[]): string {
  return `line${issues.length === 1 ? '' : 's'} ${issues.map((issue) => issue.line).join(', ')}`;
}

/** The environment's file, decrypted: its text. Throws EncryptedSecretsError as loadEncryptedSecrets does. */
export async function decryptEncryptedSecrets(context: EncryptedSecretsContext): Promise<string> {
  const { environment } = context;
  const fail = encryptedSecretsFailure(context);
  const file = path.resolve(context.projectDir, context.settings.path);
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw fail('the file does not exist', `create it with: slipway secrets edit ${environment}`);
    }
    throw fail(`cannot read the file: ${error.message}`, undefined, error);
  });
  if (bytes.length > MAX_FILE_BYTES) throw fail(`the file is larger than ${MAX_FILE_BYTES / 1024} KiB`);
  const { identities, source } = await loadAgeIdentities(context, fail);
  const identity = describeAgeIdentitySource(source);
  const result = await decryptAgeFile(bytes, identities);
  switch (result.kind) {
    case 'decrypted':
      return result.text;
    case 'no-match':
      throw fail(
        `no identity matches the file's recipients: ${identity} is not one of them`,
        `the file is encrypted to environments.${environment}.encryptedSecrets.recipients as they were when it was last written; ask someone who can decrypt it to add your recipient (age1…) there and run: slipway secrets edit ${environment} --reencrypt`,
      );
    case 'bad-identity':
      throw fail(
        `${identity}: its key number ${result.index + 1} is not a valid age identity (a damaged line?)`,
      );
    case 'damaged':
      throw fail(
        result.reason === 'not-age'
          ? 'the file is not an age file (it has no age header)'
          : 'the file is damaged (it does not decrypt intact)',
        `restore it from version control (git checkout -- ${context.settings.path})`,
      );
    case 'not-text':
      throw fail('the file decrypts to something that is not UTF-8 text');
  }
}

type Fail = (message: string, hint?: string, cause?: unknown) => EncryptedSecretsError;

/** An EncryptedSecretsError of the environment's file. */
export function encryptedSecretsFailure(context: {
  environment: string;
  settings: EncryptedSecretsConfig;
}): Fail {
  return (message, hint, cause) =>
    new EncryptedSecretsError(context.environment, context.settings.path, message, {
      ...(hint ? { hint } : {}),
      ...(cause ? { cause } : {}),
    });
}

/** The identities of the environment's source; throws (by `fail`) when there is none to use. */
export async function loadAgeIdentities(
  context: IdentityContext,
  fail: (message: string, hint?: string, cause?: unknown) => Error,
): Promise<{ identities: string[]; source: AgeIdentitySource }> {
  const source = resolveAgeIdentitySource(context);
  const describe = describeAgeIdentitySource(source);
  let text: string;
  if (source.kind === 'variable') {
    text = context.processEnv[source.name] ?? '';
  } else {
    text = await readFile(source.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        throw fail(
          `${describe} does not exist`,
          `put the identity (AGE-SECRET-KEY-1…) that decrypts this environment's file there (slipway secrets keygen makes one), set ${AGE_IDENTITY_FILE_ENV} to its path, or ${AGE_IDENTITY_ENV} to the key itself`,
        );
      }
      throw fail(`cannot read ${describe}: ${error.message}`, undefined, error);
    });
  }
  const parsed = parseAgeIdentities(text);
  if (parsed.kind === 'empty') throw fail(`${describe} holds no identity (AGE-SECRET-KEY-1…)`);
  if (parsed.kind === 'not-an-identity') {
    throw fail(
      `line ${parsed.line} of ${describe} is not an age identity${parsed.plugin ? ' (plugin identities are not supported)' : ''}`,
      'an identity file holds AGE-SECRET-KEY-1… lines, # comments and blank lines, as age-keygen writes it',
    );
  }
  return { identities: parsed.identities, source };
}

function expandHome(file: string, homeDir: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(homeDir, file.slice(1)) : path.resolve(file);
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
