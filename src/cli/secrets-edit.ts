import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { recipientOfAgeIdentity } from '../config/age-secrets-file.js';
import { environmentConfig } from '../config/environment-config.js';
import { loadConfig } from '../config/load-config.js';
import {
  decryptEncryptedSecrets,
  describeAgeIdentitySource,
  encryptedSecretsFailure,
  loadAgeIdentities,
  type EncryptedSecretsContext,
} from '../config/load-encrypted-secrets.js';
import { editEncryptedSecrets, type EditOutcome } from './edit-encrypted-secrets.js';
import type { GlobalOptions } from './project.js';
import { yellow } from './progress-renderer.js';

/**
 * `slipway secrets edit <env>`: the environment's encrypted file in `$VISUAL`, `$EDITOR` or `vi`, encrypted again
 * to its recipients on save. Exit 0 when it was saved or nothing changed, 1 when the editor failed or the text is
 * not NAME=value lines (the file is then left as it was), 2 for bad input.
 */
export function registerSecretsEdit(secrets: Command, globals: () => GlobalOptions): void {
  secrets
    .command('edit')
    .description(
      "decrypt the environment's encrypted secrets file (environments.<env>.encryptedSecrets) into $VISUAL or $EDITOR, and encrypt it again to its recipients when the editor exits; a new file starts from a template",
    )
    .argument('<env>', 'environment name')
    .option(
      '--reencrypt',
      'encrypt the file again even if the text did not change: to the recipients as slipway.yml lists them now (EDITOR=true skips the editor)',
    )
    .action(async (env: string, opts: { reencrypt?: boolean }) => {
      const outcome = await runSecretsEdit(env, globals(), opts.reencrypt ?? false);
      if (outcome === 'editor-failed' || outcome === 'invalid') process.exitCode = 1;
    });
}

async function runSecretsEdit(
  environment: string,
  globals: GlobalOptions,
  reencrypt: boolean,
): Promise<EditOutcome> {
  const loaded = await loadConfig(globals.config);
  const env = environmentConfig(loaded.config, environment);
  const settings = env.encryptedSecrets;
  if (!settings) {
    throw new InputError(`environment ${environment} has no encrypted secrets file`, {
      hint: `add environments.${environment}.encryptedSecrets (path, recipients) to slipway.yml; docs/secrets.md says how`,
    });
  }
  const context: EncryptedSecretsContext = {
    app: loaded.config.app,
    environment,
    settings,
    projectDir: loaded.dir,
    processEnv: process.env,
    homeDir: homedir(),
  };
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  const outcome = await editEncryptedSecrets({
    environment,
    file: path.resolve(loaded.dir, settings.path),
    shownAs: settings.path,
    recipients: settings.recipients,
    secretNames: [...new Set([...loaded.config.secrets, ...env.secrets])],
    decrypt: () => decryptEncryptedSecrets(context),
    runEditor,
    askEditAgain,
    say,
    reencrypt,
  });
  if (outcome === 'saved') await warnIfLockedOut(context, say);
  return outcome;
}

/**
 * The editor as git runs it: `$VISUAL`, else `$EDITOR`, else vi, through sh (so `code --wait` works), which execs
 * it. Should slipway exit first (SIGTERM), the editor is told to go too: the file it has open is gone.
 */
function runEditor(file: string): Promise<number | null> {
  const editor =
    [process.env.VISUAL, process.env.EDITOR].find((e) => e !== undefined && e.trim() !== '') ?? 'vi';
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `exec ${editor} "$@"`, editor, file], { stdio: 'inherit' });
    const stopEditor = (): void => void child.kill('SIGTERM');
    process.once('exit', stopEditor);
    child.once('error', (error) => {
      process.off('exit', stopEditor);
      reject(error);
    });
    child.once('exit', (code) => {
      process.off('exit', stopEditor);
      resolve(code);
    });
  });
}

/** At a terminal, Enter opens the editor again and Ctrl-C (or end of input) gives up; elsewhere, give up. */
function askEditAgain(): Promise<boolean> {
  if (!process.stdin.isTTY) return Promise.resolve(false);
  const prompt = 'press Enter to edit it again, or Ctrl-C to give up (the file stays as it was) ';
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    let answered = false;
    const done = (again: boolean): void => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(again);
    };
    rl.once('SIGINT', () => done(false));
    rl.once('close', () => done(false));
    rl.question(prompt, () => done(true));
  });
}

/** A saved file that none of the editor's own identities can decrypt: say so (it is saved, as asked). */
async function warnIfLockedOut(context: EncryptedSecretsContext, say: (line: string) => void): Promise<void> {
  const found = await loadAgeIdentities(context, encryptedSecretsFailure(context)).catch(() => undefined);
  if (!found) return;
  const mine = await Promise.all(found.identities.map(recipientOfAgeIdentity));
  if (mine.some((recipient) => recipient !== undefined && context.settings.recipients.includes(recipient)))
    return;
  say(
    yellow(
      `warning: ${describeAgeIdentitySource(found.source)} is not among the recipients: you cannot decrypt ${context.settings.path} yourself`,
    ),
  );
}
