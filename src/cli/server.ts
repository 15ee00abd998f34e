import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { Command } from 'commander';
import { createAuthenticator } from '../server/auth/authenticator.js';
import { createServerApp } from '../server/create-server-app.js';
import { DEFAULT_LISTEN, parseListen } from '../server/parse-listen.js';
import { createJobRunner } from '../server/jobs/create-job-runner.js';
import { parseTakeoverAfter } from '../server/parse-takeover-after.js';
import { createServerRuntime } from '../server/server-runtime.js';
import { startAgentEventSync } from '../control-plane/agent-events.js';
import { startSharedCertificateRenewal } from '../operations/renew-certificates.js';
import type { Project } from '../control-plane/open-project.js';
import { withProject, type GlobalOptions } from './project.js';
import { green, yellow } from './progress-renderer.js';

/** How often this replica looks for queued jobs (a deploy starts within this of its request). */
const JOB_POLL_MS = 300;

interface ServerOptions {
  listen: string;
  replicaId?: string;
  takeoverAfter: string;
}

export function registerServer(program: Command, globals: () => GlobalOptions): void {
  program
    .command('server')
    .description('serve the HTTP API, live events, /metrics and the dashboard for this project (one process)')
    .option('--listen <host:port>', 'address to listen on (port 0 picks a free one)', DEFAULT_LISTEN)
    .option(
      '--replica-id <id>',
      "this replica's name among servers sharing one store (default: host-pid-random)",
    )
    .option('--takeover-after <duration>', 'take over jobs of a replica silent this long', '15s')
    .action(async (opts: ServerOptions) => {
      await withProject(globals(), (project) => serveUntilStopped(project, opts));
    });
}

/** The dashboard's build beside the CLI bundle (dist/web), if it was built. */
function findWebRoot(): string | null {
  const root = join(dirname(fileURLToPath(import.meta.url)), 'web');
  return existsSync(join(root, 'index.html')) ? root : null;
}

/** How often a server copies the agents' events into the ledger (each event once across replicas). */
const AGENT_EVENT_SYNC_MS = 5_000;
/** How often `slipway server` looks whether a certificate the control plane holds is due (renewal at 2/3 of its life). */
const CERTIFICATE_RENEWAL_MS = 3_600_000;

async function serveUntilStopped(project: Project, opts: ServerOptions): Promise<void> {
  const { hostname: bind, port } = parseListen(opts.listen);
  const replicaId = opts.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const takeoverAfterMs = parseTakeoverAfter(opts.takeoverAfter);
  const jobs = createJobRunner({
    project,
    replicaId,
    clock: project.clock,
    pollIntervalMs: JOB_POLL_MS,
    // Three heartbeats fit in the takeover time, so one late beat does not make the replica look dead.
    heartbeatIntervalMs: Math.max(250, Math.floor(takeoverAfterMs / 3)),
    takeoverAfterMs,
    log,
  });
  const runtime = createServerRuntime({ project, jobs, log });
  await runtime.start();
  const app = createServerApp({
    project,
    authenticator: createAuthenticator({ store: project.store, clock: project.clock }),
    jobs,
    replicaId,
    webRoot: findWebRoot(),
    https: false,
    log,
    events: runtime.events,
    metrics: runtime.metrics,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: bind, port }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  jobs.start();
  // Crashes, restarts and edge changes on the hosts reach the ledger (and the live events) without a command.
  const stopAgentEventSync = startAgentEventSync(project, AGENT_EVENT_SYNC_MS, (err) =>
    log(`agent event sync failed: ${err instanceof Error ? err.message : String(err)}`),
  );
  // The certificates the control plane holds for fleets without an edge: renewed here when due.
  const stopCertificateRenewal = startSharedCertificateRenewal(project, CERTIFICATE_RENEWAL_MS, (env, err) =>
    log(`certificate renewal of ${env} failed: ${err instanceof Error ? err.message : String(err)}`),
  );
  process.stdout.write(
    green(`slipway server listening on http://${host}:${address.port} (replica ${replicaId})\n`),
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(yellow(`${signal}: stopping (running jobs reach a resumable point first)\n`));
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // Stop taking work first, then close the listener; open streams (SSE) are ended rather than waited for.
  await jobs.stop();
  await stopAgentEventSync();
  await stopCertificateRenewal();
  await runtime.stop();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
  process.stdout.write('slipway server stopped\n');
}
