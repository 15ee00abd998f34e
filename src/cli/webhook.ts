import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import { parseDurationMs } from '../core/duration.js';
import { resolveRepoOption, resolveWatchTarget, type WatchTarget } from '../triggers/resolve-watch-target.js';
import { serveWebhook } from '../triggers/serve-webhook.js';
import { syncWatchedBranch } from '../triggers/sync-watched-branch.js';
import { REFUSAL_BUDGET } from '../triggers/refusal-budget.js';
import { createWebhookHandler } from '../triggers/webhook-handler.js';
import { enterPipeline } from './deploy.js';
import type { Project } from '../control-plane/open-project.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim, green, red, yellow } from './progress-renderer.js';
import { portOption } from './parse-options.js';

interface WebhookOptions {
  port?: number;
  bind?: string;
  env?: string;
  repo?: string;
  branch?: string;
}

export function registerWebhook(program: Command, globals: () => GlobalOptions): void {
  program
    .command('webhook')
    .description('receive signed push webhooks and build and deploy the pushed commits')
    .option(
      '--port <port>',
      'port to listen on (default: watch.webhook.port; 0 picks a free one)',
      portOption('--port', { allowZero: true }),
    )
    .option('--bind <address>', 'address to listen on (default: watch.webhook.bindAddress)')
    .option('--env <environment>', 'environment new releases are deployed to (default: watch.environment)')
    .option('--repo <path-or-url>', 'repository to fetch pushed commits from (default: watch.repo)')
    .option('--branch <name>', 'branch whose pushes are built (default: watch.branch)')
    .action(async (opts: WebhookOptions) => {
      await withProject(globals(), (project) => receiveUntilStopped(project, opts));
    });
}

async function receiveUntilStopped(project: Project, opts: WebhookOptions): Promise<void> {
  const target = resolveWatchTarget(project.config, project.loaded.dir, project.stateDir, {
    ...opts,
    repo: resolveRepoOption(opts.repo, process.cwd()),
  });
  const settings = target.watch.webhook;
  const secret = (await project.loadSecrets(target.environment, [settings.secret])).get(settings.secret);
  if (!secret || secret.reveal().length === 0) {
    throw new SlipwayError(
      `the webhook secret ${settings.secret} has no value; refusing to accept unsigned pushes`,
      {
        hint: `set SLIPWAY_SECRET_${settings.secret} in the environment, or add ${settings.secret}=… to .slipway/secrets/${target.environment}.env`,
      },
    );
  }
  const port = opts.port ?? settings.port;
  const builds = createBuildQueue(project, target);
  const handler = createWebhookHandler({
    app: project.config.app,
    branch: target.branch,
    secret,
    maxBodyBytes: settings.maxBodyBytes,
    replayToleranceMs: parseDurationMs(settings.replayTolerance) ?? 600_000,
    store: project.store,
    clock: project.clock,
    onPush: (push) => {
      process.stdout.write(
        `push ${push.after.slice(0, 12)} to ${target.branch} (delivery ${push.deliveryId})\n`,
      );
      builds.request(`push ${push.deliveryId}`);
    },
  });
  const reportError = (err: unknown): void => {
    process.stderr.write(red(`webhook error: ${String(err)}\n`));
  };
  const listener = await serveWebhook(handler, {
    port,
    bindAddress: opts.bind ?? settings.bindAddress,
    maxBodyBytes: settings.maxBodyBytes,
    onError: reportError,
  });
  // Counts of refused deliveries reach the ledger when their window closes, even if no refusal follows.
  const flushing = setInterval(
    () => void handler.flushRefusalCounts().catch(reportError),
    REFUSAL_BUDGET.windowMs,
  );
  flushing.unref();
  process.stdout.write(
    green(
      `listening for push webhooks on ${listener.url} (branch ${target.branch} → ${target.environment})\n`,
    ),
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(yellow(`${signal}: stopping the receiver after the current build\n`));
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await listener.close();
  clearInterval(flushing);
  await handler.flushRefusalCounts({ force: true }).catch(reportError);
  await builds.idle();
  process.stdout.write('webhook receiver stopped\n');
}

/**
 * Builds run one at a time. Pushes that arrive while one runs are folded into a single next pass: that pass
 * fetches the branch anew, so it sees every commit pushed meanwhile.
 */
function createBuildQueue(
  project: Project,
  target: WatchTarget,
): { request(trigger: string): void; idle(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let queued = false;
  return {
    request(trigger) {
      if (queued) return;
      queued = true;
      running = running.then(async () => {
        queued = false;
        try {
          await syncWatchedBranch(project, target, {
            trigger,
            say: (line) => process.stdout.write(`${line.startsWith('  build') ? dim(line) : line}\n`),
            enter: (entry) => enterPipeline(project, entry),
          });
        } catch (err) {
          process.stderr.write(red(`✖ ${err instanceof Error ? err.message : String(err)}\n`));
        }
      });
    },
    idle: () => running,
  };
}
