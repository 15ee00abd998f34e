import { parseRouteKey } from '../core/route-key.js';
import { join } from 'node:path';
import { readJsonIfExists } from '../agent/state-file.js';
import { hostName } from '../config/config-values.js';
import { DiskFullError, StoreBusyError } from '../core/errors.js';
import { environmentConfig } from '../config/environment-config.js';
import { hostsOf } from '../hosts/hosts-of.js';
import type { Host } from '../hosts/host.js';
import type { Project } from './open-project.js';

/** Kinds of agent events worth a ledger entry (what happened on a host while nobody was deploying). */
const LEDGERED = new Set([
  // An edge took a host out of rotation for its health (checks, timeouts, refusals) or let it back in.
  'edge.member-ejected',
  'edge.member-readmitted',
  // What agents before edge.member-ejected said instead.
  'edge.member-unhealthy',
  'edge.member-healthy',
  'target.exited',
  // A serving target's health checks failed unhealthyThreshold times in a row, or passed again after that.
  'target.unhealthy',
  'target.healthy',
  'target.restarted',
  'target.retired',
  'target.adopted',
  'route.error',
  'agent.started',
  // The keeper started a dead agent or router process again (no command was run); a router process started.
  'agent.restarted',
  'router.restarted',
  'router.started',
  // The router's tripwire ended a canary's split by itself: the executor did not do it, so the agent says it.
  'canary.tripped',
  // The router process obtained or renewed an ACME certificate, or could not (the old one keeps serving).
  'certificate.issued',
  'certificate.failed',
  // An operator had the router process revoke a certificate at its CA (`slipway certificates renew --revoke`).
  'certificate.revoked',
  // A scheduled job's run ended (its exit code and duration), failed, or a tick was skipped or missed.
  'cron.ran',
  'cron.failed',
  'cron.skipped',
  'cron.missed',
]);

/** The hosts a command about one environment talks to (its hosts and its edge); every host without one. */
export function hostsToSync(project: Project, environment?: string): Host[] {
  if (environment === undefined) return [...project.hosts.values()];
  const hosts = hostsOf(project, environment);
  const edge = environmentConfig(project.config, environment).edge;
  const edgeHost = edge ? project.hosts.get(hostName(edge.host)) : undefined;
  return edgeHost && !hosts.includes(edgeHost) ? [...hosts, edgeHost] : hosts;
}

/** The one environment of the app that runs on `host` (its hosts or its edge); null when none or several. */
function environmentOfHost(project: Project, host: string): string | null {
  const environments = Object.keys(project.config.environments).filter((env) =>
    hostsToSync(project, env).some((h) => h.name === host),
  );
  return environments.length === 1 ? (environments[0] as string) : null;
}

/**
 * Copies new events from the agent journals of these hosts (default: all) into the ledger, once each: a cursor per
 * host is kept in the store and moved by compare-and-swap before the events are copied, so processes syncing at
 * once (CLIs on other machines, server replicas) copy each range once. Hosts whose agent is not running are
 * skipped: nothing there to copy. A command about one environment syncs only that environment's hosts: the others
 * keep their events (and their cursors) for a later sync, and no connection is opened to them.
 *
 * `startAgents: false` (commands that only read, a server's background sync) starts no agent: one stopped on
 * purpose stays stopped. A deploy's sync may start one, as the deploy would anyway.
 */
export async function syncAgentEvents(
  project: Project,
  hosts: readonly Host[] = [...project.hosts.values()],
  options: { startAgents?: boolean } = {},
): Promise<void> {
  const start = options.startAgents ?? true;
  const app = project.config.app;
  const reading = readCursors(project);
  reading.catch(() => undefined); // a failed read fails the sync below, not as an unhandled rejection
  // Ask every host at once; a host that cannot be reached (or is not set up) keeps its events for the next sync.
  // Each agent client is asked for before anything is awaited, so that a preflight running beside this sync
  // shares the bridge it opens (which starts an agent that is not running, as a deploy would anyway).
  const fetched = await Promise.all(
    hosts.map(async (host) => {
      // The state file first: where an agent kept state the sync goes on either way, with one connection only.
      if (host === project.local && !project.local.hasState() && !(await project.local.isAgentRunning()))
        return null;
      try {
        const agent = await host.agent({ start });
        const from = (await reading)[host.name] ?? null;
        return {
          host: host.name,
          from,
          events: (await agent.call('events', { afterSeq: from?.seq ?? 0 })).events,
        };
      } catch {
        return null;
      }
    }),
  );
  for (const batch of fetched) {
    const last = batch?.events.at(-1);
    if (!batch || !last) continue;
    // Another process copied this range meanwhile (or part of it): leave it to them.
    if (
      !(await project.store.advanceAgentCursor(
        app,
        batch.host,
        batch.from?.stored ? batch.from.seq : null,
        last.seq,
      ))
    )
      continue;
    const hostEnvironment = environmentOfHost(project, batch.host); // once per host, not per event
    for (const event of batch.events) {
      const route = parseRouteKey(event.app);
      if (!LEDGERED.has(event.kind) || (route.app !== app && route.app !== '')) continue;
      await project.store.appendEvent({
        atMs: event.atMs,
        actor: `agent@${batch.host}`,
        app,
        environment: route.environment ?? hostEnvironment,
        kind: event.kind,
        release: event.release,
        message: event.message,
        data: { host: batch.host, targetId: event.targetId, ...event.data },
      });
    }
  }
}

/**
 * The sync of a verb that only reads (`status`, `history`): it starts no agent, and when the store takes no writes
 * now (another process holds its write lock, or its disk is full), the verb answers from the ledger as it is, and
 * `note` says why the agents' newest events are not in it yet. A later command copies them.
 */
export async function syncAgentEventsForReading(
  project: Project,
  hosts: readonly Host[],
  note: (line: string) => void,
): Promise<void> {
  try {
    await syncAgentEvents(project, hosts, { startAgents: false });
  } catch (error) {
    if (!(error instanceof StoreBusyError || error instanceof DiskFullError)) throw error;
    note(`the agents' newest events are not in the ledger yet: ${error.message}`);
  }
}

/**
 * The cursors in the store; for a host without one, the cursor an older Slipway kept in the state directory
 * (`agent-cursors.json`), so that upgrading does not copy a host's old events a second time.
 */
async function readCursors(project: Project): Promise<Record<string, { seq: number; stored: boolean }>> {
  const [stored, legacy] = await Promise.all([
    project.store.getAgentCursors(project.config.app),
    readJsonIfExists<Record<string, number>>(join(project.stateDir, 'agent-cursors.json')).catch(() => null),
  ]);
  const cursors: Record<string, { seq: number; stored: boolean }> = {};
  for (const [host, seq] of Object.entries(legacy ?? {})) cursors[host] = { seq, stored: false };
  for (const [host, seq] of Object.entries(stored)) cursors[host] = { seq, stored: true };
  return cursors;
}

/**
 * Syncs every host's agent events into the ledger every `intervalMs` (a server does, so that crashes and
 * restarts reach the ledger and its live events while nobody runs a command); rounds never overlap. Returns stop.
 */
export function startAgentEventSync(
  project: Project,
  intervalMs: number,
  onError: (err: unknown) => void,
): () => Promise<void> {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = syncAgentEvents(project, undefined, { startAgents: false })
      .catch(onError)
      .finally(() => (running = null));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
