import type { Command } from 'commander';
import { InputError, SlipwayError } from '../core/errors.js';
import { runContractMigrations } from '../operations/run-contract-migrations.js';
import { withProject, type GlobalOptions } from './project.js';
import { bold, createProgressRenderer, dim, green, red, yellow } from './progress-renderer.js';

/** `slipway migrate <env> --contract`: the held contract migrations, after an approval and a backup. */
export function registerMigrate(program: Command, globals: () => GlobalOptions): void {
  program
    .command('migrate')
    .description(
      'run the held contract migrations of the release serving an environment (once no older release runs; needs an approval; backup first)',
    )
    .argument('<env>', 'environment name')
    .option('--contract', 'run the held contract (destructive) migrations')
    .action(async (env: string, opts: { contract?: boolean }) => {
      if (!opts.contract)
        throw new InputError('say what to run: slipway migrate <env> --contract', {
          hint: 'expand migrations run with every deploy; only contract migrations are run on their own',
        });
      await withProject(globals(), async (project) => {
        const aborter = new AbortController();
        const onSigint = (): void => aborter.abort();
        process.on('SIGINT', onSigint);
        try {
          const outcome = await runContractMigrations(project, env, {
            reporter: createProgressRenderer(process.stdout),
            signal: aborter.signal,
            onPlan: (plan) =>
              process.stdout.write(
                `${bold(`Contract migrations of ${plan.release.version} on ${plan.environment}`)} ${dim(`(deployment ${plan.deploymentId})`)}\n`,
              ),
            onLockTakeover: (lock) =>
              process.stderr.write(
                yellow(`note: took over the lock of ${lock.holder} (pid ${lock.pid} is gone)\n`),
              ),
          });
          if (!outcome) {
            process.stdout.write(`no contract migration is held in ${env}\n`);
            return;
          }
          const { plan, result } = outcome;
          if (result.outcome === 'succeeded') {
            process.stdout.write(green(`✔ contract migrations applied in ${plan.environment}\n`));
            return;
          }
          if (result.outcome === 'interrupted') {
            process.stdout.write(yellow(`■ interrupted; nothing runs until you start it again\n`));
            process.exitCode = 130;
            return;
          }
          process.stderr.write(red(`✖ contract migrations in ${plan.environment} ${result.outcome}\n`));
          throw new SlipwayError(result.error ?? 'contract migrations failed');
        } finally {
          process.off('SIGINT', onSigint);
        }
      });
    });
}
