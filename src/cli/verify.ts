import type { Command } from 'commander';
import { NotFoundError, SlipwayError } from '../core/errors.js';
import { environmentConfig, environmentRoute } from '../config/environment-config.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { observeHosts } from '../hosts/observe-hosts.js';
import { deriveVerifyInput } from '../verify/derive-verify-input.js';
import { runVerification } from '../verify/run-verification.js';
import type { VerificationCheck } from '../verify/verification-check.js';
import { VerificationFailedError } from '../verify/verification-failed-error.js';
import type { Project } from '../control-plane/open-project.js';
import { withProject, type GlobalOptions } from './project.js';
import { bold, dim, green, red } from './progress-renderer.js';

export function registerVerify(program: Command, globals: () => GlobalOptions): void {
  program
    .command('verify')
    .description(
      "run the environment's verification suite again against what it serves, and store the result",
    )
    .argument('<env>', 'environment name')
    .option('-r, --release <version>', 'the release expected to serve (default: the one serving)')
    .option('--json', 'print the stored result as JSON')
    .action(async (env: string, opts: { release?: string; json?: boolean }) => {
      await withProject(globals(), async (project) => {
        const envConfig = environmentConfig(project.config, env);
        const serving = await servingRelease(project, env);
        const release = opts.release ?? serving;
        if (release !== serving) {
          throw new SlipwayError(`${release} is not serving ${env} (${serving} is)`, {
            hint: `deploy it first: slipway deploy ${env} --release ${release}`,
          });
        }
        const previousVersion = await previousOf(project, env, release);
        const previous = previousVersion
          ? await project.store.getRelease(project.config.app, previousVersion)
          : undefined;
        const input = deriveVerifyInput(envConfig, env, previous, project.loaded.dir);
        if (!input) {
          throw new SlipwayError(`environment ${env} has no verify: section`, {
            hint: 'see docs/verification.md',
          });
        }
        const { record, failures } = await runVerification(
          { app: project.config.app, environment: env, release, hosts: input.hosts, suite: input.suite },
          {
            store: project.store,
            hosts: project.hosts,
            clock: project.clock,
            actor: project.actor,
            deploymentId: null,
          },
        );
        if (opts.json) process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
        else {
          process.stdout.write(
            `${bold(`verification of ${release} in ${env}`)} ${dim(`at ${input.suite.baseUrl}`)}\n`,
          );
          printChecks(record.checks);
        }
        if (failures.length > 0) throw new VerificationFailedError(release, env, failures, 'keep');
        if (!opts.json) process.stdout.write(green(`✔ ${release} passed verification in ${env}\n`));
      });
    });
}

export function printChecks(checks: readonly VerificationCheck[], indent = '  '): void {
  for (const c of checks) {
    const mark = c.passed ? green('✔') : red('✖');
    process.stdout.write(
      `${indent}${mark} ${c.kind.padEnd(13)} ${c.name}: ${c.passed ? dim(c.message) : c.message}\n`,
    );
  }
}

async function servingRelease(project: Project, env: string): Promise<string> {
  const observed = await observeHosts(hostsOf(project, env), project.config.app, {
    route: environmentRoute(project.config, env),
  });
  const serving = observed.find((o) => o.active)?.active?.release;
  if (!serving) throw new NotFoundError(`nothing serves ${env}`, { hint: `slipway deploy ${env}` });
  return serving;
}

/** The release that served before `release` was last deployed here (its smoke suite is the compatibility check). */
async function previousOf(project: Project, env: string, release: string): Promise<string | null> {
  const recent = await project.store.listDeployments({
    app: project.config.app,
    environment: env,
    limit: 50,
  });
  return recent.find((d) => d.releaseVersion === release && d.kind === 'deploy')?.previousVersion ?? null;
}
