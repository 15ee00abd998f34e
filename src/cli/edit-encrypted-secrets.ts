import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encryptAgeText } from '../config/age-secrets-file.js';
import { parseEnvFile } from '../config/parse-env-file.js';
import { describeEnvIssueLines } from '../config/load-encrypted-secrets.js';

export interface EditEncryptedSecrets {
  environment: string;
  /** The encrypted file: absolute, and as slipway.yml writes it (for messages). */
  file: string;
  shownAs: string;
  recipients: readonly string[];
  /** The secret names the environment's targets get: the template of a new file lists them. */
  secretNames: readonly string[];
  /** The file's decrypted text (called only when the file exists; throws EncryptedSecretsError). */
  decrypt(): Promise<string>;
  /** Runs the editor on a file; resolves to its exit code (null: killed by a signal). */
  runEditor(file: string): Promise<number | null>;
  /** After an edit that is not NAME=value lines: whether to open the editor again (false: give up). */
  askEditAgain(): Promise<boolean>;
  /** A line for the person at the terminal (stderr). */
  say(line: string): void;
  /** Encrypt the file again even when the text did not change: to recipients added or removed since. */
  reencrypt?: boolean;
  /** Where the private temp directory is made; default: the system's. */
  tmpRoot?: string;
}

export type EditOutcome = 'saved' | 'unchanged' | 'editor-failed' | 'invalid';

/**
 * `slipway secrets edit`: decrypts the environment's file (or starts from a template when there is none yet) into a
 * 0600 file in a private 0700 temp directory, opens the editor on it, and once the editor exits 0 with a change
 * that parses as NAME=value lines, encrypts the text to the environment's recipients and replaces the file
 * atomically (a temp file beside it, then a rename). The plaintext is removed whatever happens: on return, on
 * an error, and on SIGTERM or SIGHUP (Ctrl-C goes to the editor, which owns the terminal).
 */
export async function editEncryptedSecrets(edit: EditEncryptedSecrets): Promise<EditOutcome> {
  const exists = await stat(edit.file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
  const before = exists ? await edit.decrypt() : templateFor(edit);
  const dir = mkdtempSync(path.join(edit.tmpRoot ?? tmpdir(), 'slipway-secrets-'));
  const removePlaintext = (): void => rmSync(dir, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals): void => {
    removePlaintext();
    process.exit(128 + (signal === 'SIGHUP' ? 1 : 15));
  };
  const ignore = (): void => {};
  process.on('SIGTERM', onSignal).on('SIGHUP', onSignal).on('SIGINT', ignore).on('exit', removePlaintext);
  try {
    const plain = path.join(dir, `${edit.environment}.env`);
    await writeFile(plain, before, { mode: 0o600, flag: 'wx' });
    for (;;) {
      const code = await edit.runEditor(plain);
      if (code !== 0) {
        edit.say(
          `the editor ${code === null ? 'was killed' : `exited with code ${code}`}; ${edit.shownAs} was left as it was`,
        );
        return 'editor-failed';
      }
      const after = await readFile(plain, 'utf8');
      if (after === before && !(edit.reencrypt && exists)) {
        edit.say(`no change; ${edit.shownAs} was left as it was${exists ? '' : ' (not created)'}`);
        return 'unchanged';
      }
      const { issues } = parseEnvFile(after, '');
      if (issues.length === 0) {
        await writeAtomically(edit.file, await encryptAgeText(after, edit.recipients));
        const n = edit.recipients.length;
        edit.say(`encrypted ${edit.shownAs} to ${n} recipient${n === 1 ? '' : 's'}`);
        return 'saved';
      }
      edit.say(
        `the text is not NAME=value lines (${describeEnvIssueLines(issues)}): ${issues[0]?.message ?? ''}`,
      );
      if (!(await edit.askEditAgain())) {
        edit.say(`${edit.shownAs} was left as it was; the edit was discarded`);
        return 'invalid';
      }
    }
  } finally {
    process
      .off('SIGTERM', onSignal)
      .off('SIGHUP', onSignal)
      .off('SIGINT', ignore)
      .off('exit', removePlaintext);
    removePlaintext();
  }
}

/** A new file's text: how to write it, and the environment's secret names, commented out. Pure. */
export function templateFor(edit: Pick<EditEncryptedSecrets, 'environment' | 'secretNames'>): string {
  return [
    `# Secrets of environment ${edit.environment}: NAME=value lines, encrypted to the recipients in slipway.yml`,
    `# (environments.${edit.environment}.encryptedSecrets). A value on several lines goes in double quotes with \\n:`,
    '# TLS_KEY="-----BEGIN PRIVATE KEY-----\\nMIIE...\\n-----END PRIVATE KEY-----"',
    ...edit.secretNames.map((name) => `# ${name}=`),
    '',
  ].join('\n');
}

/**
 * Replaces `file` with `text`: a temp file in the same directory (same file system), flushed, then renamed over
 * it, so a reader sees the old file or the new one, never half of one. Keeps the old file's mode (else 0644:
 * ciphertext, meant to be committed).
 */
export async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const mode = await stat(file).then(
    (s) => s.mode & 0o777,
    () => 0o644,
  );
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
