import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import {
  generateAgeIdentity,
  parseAgeIdentities,
  recipientOfAgeIdentity,
} from '../config/age-secrets-file.js';
import { environmentConfig } from '../config/environment-config.js';
import { loadConfig } from '../config/load-config.js';
import {
  AGE_IDENTITY_ENV,
  defaultAgeIdentityFile,
  resolveAgeIdentitySource,
} from '../config/load-encrypted-secrets.js';
import type { GlobalOptions } from './project.js';

/**
 * `slipway secrets keygen [env] [--out <file>]`: a new age identity (private key) in a 0600 file outside the
 * repository, where `secrets edit` and deploys look for it; its recipient (public key) on stdout, for
 * `encryptedSecrets.recipients`. An existing file is never overwritten.
 */
export function registerSecretsKeygen(secrets: Command, globals: () => GlobalOptions): void {
  secrets
    .command('keygen')
    .description(
      "make an age identity (private key) in a 0600 file where slipway looks for the environment's identity (default ~/.config/slipway/age/<app>.key), and print its recipient (public key) for encryptedSecrets.recipients; never overwrites a file",
    )
    .argument('[env]', "environment name: its encryptedSecrets.identity, when set, is the file's path")
    .option('--out <file>', 'write the identity to this file instead')
    .action(async (env: string | undefined, opts: { out?: string }) => {
      const file = opts.out ? path.resolve(opts.out) : await identityFileOf(env, globals());
      const existing = await readIdentityFile(file);
      if (existing !== undefined) {
        throw new SlipwayError(`${file} already exists; keygen never overwrites an identity`, {
          hint:
            existing.length > 0
              ? `its recipient${existing.length === 1 ? '' : 's'}: ${existing.join(', ')}; use --out <file> for another`
              : 'use --out <file> to write a new identity elsewhere',
        });
      }
      const recipient = await writeNewAgeIdentity(file);
      process.stderr.write(
        `wrote the identity ${file} (mode 0600; keep it out of the repository, and back it up)\n` +
          'its recipient, for encryptedSecrets.recipients in slipway.yml:\n',
      );
      process.stdout.write(`${recipient}\n`);
    });
}

/** A new identity in `file` (0600, made with its directories; never over an existing file): its recipient. */
export async function writeNewAgeIdentity(file: string): Promise<string> {
  const { identity, recipient } = await generateAgeIdentity();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const text = `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`;
  await writeFile(file, text, { mode: 0o600, flag: 'wx' });
  return recipient;
}

/** The recipients of the identities in `file`; undefined when there is no such file. */
export async function readIdentityFile(file: string): Promise<string[] | undefined> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  const parsed = parseAgeIdentities(text);
  const recipients =
    parsed.kind === 'identities' ? await Promise.all(parsed.identities.map(recipientOfAgeIdentity)) : [];
  return recipients.filter((r): r is string => r !== undefined);
}

/** Where deploys of `env` (or of the app) look for the identity, but for SLIPWAY_AGE_IDENTITY (no file). */
async function identityFileOf(env: string | undefined, globals: GlobalOptions): Promise<string> {
  const { config } = await loadConfig(globals.config);
  const settings = env === undefined ? undefined : environmentConfig(config, env).encryptedSecrets;
  const context = {
    app: config.app,
    processEnv: { ...process.env, [AGE_IDENTITY_ENV]: undefined },
    homeDir: homedir(),
  };
  const source = resolveAgeIdentitySource({ ...context, settings: settings ?? { path: '', recipients: [] } });
  return source.kind === 'file' ? source.file : defaultAgeIdentityFile(context);
}
