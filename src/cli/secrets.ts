import type { Command } from 'commander';
import { describeSecretDiff, secretsDiffer } from '../core/secret-diff.js';
import { diffSecrets, type SecretsDiff } from '../operations/diff-secrets.js';
import { withProject, type GlobalOptions } from './project.js';
import { registerSecretsEdit } from './secrets-edit.js';
import { registerSecretsKeygen } from './secrets-keygen.js';
import { registerSecretsRotate } from './secrets-rotate.js';

/**
 * `slipway secrets diff <env> [--json]`: which secrets differ between what runs and what the sources give now;
 * `slipway secrets rotate` (./secrets-rotate.ts).
 */
export function registerSecrets(program: Command, globals: () => GlobalOptions): void {
  const secrets = program
    .command('secrets')
    .description(
      "the environment's secrets: compared by keyed fingerprints (never a value), and its age-encrypted file",
    );
  secrets
    .command('diff')
    .description(
      'which secrets differ between what runs (the last deployment) and what their sources give now: unchanged, changed, added, removed or missing; exit 0 when none differs, 1 when one does, 2 for bad input (an unknown environment)',
    )
    .argument('<env>', 'environment name')
    .option('--json', 'print the comparison as JSON (names and states; no value, no fingerprint)')
    .action(async (env: string, opts: { json?: boolean }) => {
      await withProject(globals(), async (project) => {
        const diff = await diffSecrets(project, env);
        process.stdout.write(opts.json ? `${JSON.stringify(diff, null, 2)}\n` : describeSecretsDiff(diff));
        if (secretsDiffer(diff.secrets)) process.exitCode = 1;
      });
    });
  registerSecretsEdit(secrets, globals);
  registerSecretsKeygen(secrets, globals);
  registerSecretsRotate(secrets, globals);
}

/** The text output: what was compared with, then a line per secret; names and states only. Pure. */
export function describeSecretsDiff(diff: SecretsDiff): string {
  const { running } = diff;
  const against =
    running === null
      ? `${diff.environment}: no deployment recorded secret fingerprints; every secret with a value counts as added\n`
      : `${diff.environment}: the sources now, against deployment ${running.deploymentId ?? '(unknown)'}${running.release === null ? '' : ` of ${running.release}`} at ${new Date(running.atMs).toISOString()}\n`;
  return against + describeSecretDiff(diff.secrets);
}
