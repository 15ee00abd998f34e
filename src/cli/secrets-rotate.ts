import type { Command } from 'commander';
import { rotateSecrets } from '../operations/rotate-secrets.js';
import { cliHooks } from './deploy.js';
import { probeAfterDeploy } from './probe-after-deploy.js';
import { withProject, type GlobalOptions } from './project.js';

interface RotateOptions {
  force?: boolean;
  overrideFreeze?: boolean;
  reason?: string;
}

/** `slipway secrets rotate <env> [NAME…]` (src/operations/rotate-secrets.ts) with the deploy's live view. */
export function registerSecretsRotate(secrets: Command, globals: () => GlobalOptions): void {
  secrets
    .command('rotate')
    .description(
      "deploy the release that serves again with the secrets' values as their sources give them now, through the environment's gates and strategy (blue/green, rolling or canary), ledgered as a rotation; nothing else changes. Without names: every secret that changed; a named secret that did not change, or one that changed but was not named, refuses it",
    )
    .argument('<env>', 'environment name')
    .argument('[names...]', 'the secrets to rotate (default: every one whose value changed)')
    .option('--force', 'start the targets again even where no value changed')
    .option('--override-freeze', 'rotate during a freeze (needs --reason and a role in freezeOverrideRoles)')
    .option('--reason <text>', 'why (kept in the ledger; required with --override-freeze)')
    .action(async (env: string, names: string[], opts: RotateOptions) => {
      await withProject(globals(), async (project) => {
        const result = await rotateSecrets(
          project,
          {
            environment: env,
            names,
            force: opts.force ?? false,
            overrideFreeze: opts.overrideFreeze ? { reason: opts.reason } : null,
            ...(opts.reason ? { reason: opts.reason } : {}),
          },
          cliHooks(project),
        );
        if (result.kind === 'nothing') {
          process.stdout.write(`${result.message}\n`);
          return;
        }
        if (result.outcomes[0]?.result.outcome === 'succeeded')
          process.stdout.write(
            `rotated ${result.secrets.join(', ')}: ${result.release} runs with the new values\n`,
          );
        await probeAfterDeploy(project, env);
      });
    });
}
