import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { observeHosts } from '../executor/observe-hosts.js';
import { hostsOf, runDeployment } from '../executor/run-deployment.js';
import { ConflictError } from '../core/errors.js';
import { createRelease } from '../release/create-release.js';
import { runWithProgress } from './deploy.js';
import { withProject } from './project.js';
import { bold, dim, green } from './progress-renderer.js';

const DEMO_VERSION = '1.0.0';

/** examples/hello of this package, found from the CLI's own location. */
function exampleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'examples', 'hello');
    if (existsSync(join(candidate, 'slipway.yml'))) return candidate;
    dir = dirname(dir);
  }
  return join(process.cwd(), 'examples', 'hello');
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the main job on the embedded default: deploy examples/hello 1.0.0 to production on this machine',
    )
    .action(async () => {
      const dir = exampleDir();
      const configFile = join(dir, 'slipway.yml');
      await withProject({ config: configFile }, async (project) => {
        process.stdout.write(
          bold(
            `Slipway demo: ${project.config.app} from ${relative(process.cwd(), dir) || '.'}, store ${project.storeWhere.startsWith('/') ? relative(process.cwd(), project.storeWhere) : project.storeWhere}\n`,
          ),
        );
        const { release, created } = await createRelease({
          config: project.config,
          projectDir: dir,
          stateDir: project.stateDir,
          version: DEMO_VERSION,
          store: project.store,
          clock: project.clock,
          actor: project.actor,
          onBuildOutput: (line) => process.stdout.write(dim(`  build │ ${line}\n`)),
        }).catch((err: unknown) => {
          // The demo's store outlives a checkout: after an update of the example, its 1.0.0 is another artifact.
          if (!(err instanceof ConflictError)) throw err;
          const state = relative(process.cwd(), project.stateDir);
          throw new ConflictError(
            `${err.message}. The demo's state in ${state} comes from another version of the example`,
            {
              hint: `start the demo over: bin/slipway.js -c ${relative(process.cwd(), configFile)} agent stop --stop-targets && rm -rf ${state}`,
            },
          );
        });
        process.stdout.write(
          `${created ? green('✔ created') : 'using existing'} release ${release.version} (${release.sha256.slice(0, 12)})\n`,
        );
        const observed = await observeHosts(hostsOf(project, 'production'), project.config.app);
        const live = observed[0]?.active?.release;
        if (live) {
          process.stdout.write(`production already serves ${live}; nothing to deploy\n`);
        } else {
          await runWithProgress(project, 'deploy', (o) =>
            runDeployment(
              project,
              { environment: 'production', kind: 'deploy', version: DEMO_VERSION, reason: 'demo' },
              o,
            ),
          );
        }
        const env = project.config.environments.production;
        const cli = `${relative(process.cwd(), join(dir, '..', '..', 'bin', 'slipway.js')) || 'bin/slipway.js'} -c ${relative(process.cwd(), configFile)}`;
        process.stdout.write(
          [
            '',
            bold(`Served at http://${env?.bindAddress ?? '127.0.0.1'}:${env?.publicPort ?? ''}/`),
            `  curl http://127.0.0.1:${env?.publicPort ?? ''}/`,
            '',
            'Next, try:',
            `  ${cli} release create --version 2.0.0     ${dim('# build and store v2')}`,
            `  ${cli} plan production --release 2.0.0    ${dim('# what a deploy would do')}`,
            `  ${cli} deploy production --release 2.0.0  ${dim('# blue/green, zero downtime')}`,
            `  ${cli} rollback production                ${dim('# back to 1.0.0: a switch while it is warm')}`,
            `  ${cli} status                             ${dim('# what serves now')}`,
            `  ${cli} history                            ${dim('# the ledger')}`,
            `  ${cli} logs production                    ${dim("# the targets' output")}`,
            `  ${cli} agent stop --stop-targets          ${dim('# stop everything the demo started')}`,
            '',
          ].join('\n'),
        );
      });
    });
}
