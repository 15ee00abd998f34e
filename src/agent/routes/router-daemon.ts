import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { agentPaths } from '../agent-paths.js';
import { fileLogger } from '../process-util.js';
import { serveControlSocket, type ControlServer, type Handlers } from '../control-server.js';
import { EventJournal } from '../event-journal.js';
import { AGENT_VERSION } from '../version.js';
import type { RouterMethods } from './route-protocol.js';
import { RouteTable } from './route-table.js';

/**
 * `agent.js router --home DIR`: the host's data plane. It owns the public ports and serves them from the routes
 * saved in routes.json, so an agent that crashes, restarts or is upgraded drops no request. It takes its socket
 * first (one router process per home), then listens on the saved routes, then answers.
 */
export async function runRouterDaemon(home: string): Promise<void> {
  const paths = agentPaths(home);
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const log = fileLogger(paths.routerLog);
  const journal = await EventJournal.open(paths.routerEvents);
  let table: RouteTable | null = null;
  // Answers wait until the saved routes serve again.
  let opened: (t: RouteTable) => void = () => {};
  const ready = new Promise<RouteTable>((resolve) => (opened = resolve));
  let server: ControlServer | null = null;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await server?.close();
      await table?.close();
      await rm(paths.routerSocket, { force: true });
      process.exit(0);
    })();
  };
  const on =
    <M extends keyof RouterMethods>(m: M) =>
    async (params: RouterMethods[M]['params']): Promise<RouterMethods[M]['result']> => {
      const t = await ready;
      return (t[m] as (p: RouterMethods[M]['params']) => Promise<RouterMethods[M]['result']>).call(t, params);
    };
  const handlers: Handlers<RouterMethods> = {
    ping: on('ping'),
    routes: on('routes'),
    ensureRoute: on('ensureRoute'),
    switchRoute: on('switchRoute'),
    setWeight: on('setWeight'),
    unroute: on('unroute'),
    forgetTrip: on('forgetTrip'),
    ensureEdge: on('ensureEdge'),
    setEdgeMember: on('setEdgeMember'),
    renewCertificate: on('renewCertificate'),
    acmeChallenge: on('acmeChallenge'),
    setMaintenance: on('setMaintenance'),
    metrics: on('metrics'),
    allMetrics: on('allMetrics'),
    shutdown: () => {
      setImmediate(stop); // answer first
      return Promise.resolve({ ok: true as const });
    },
  };
  server = await serveControlSocket<RouterMethods>(paths.routerSocket, handlers, 'router process');
  table = await RouteTable.open({ statePath: paths.routes, journal, log });
  opened(table);
  writeFileSync(paths.routerPid, `${process.pid}\n`);
  journal.append({
    atMs: Date.now(),
    kind: 'router.started',
    app: '',
    targetId: null,
    release: null,
    message: `router process ${AGENT_VERSION} started (pid ${process.pid})`,
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, stop);
  process.on('uncaughtException', (err) => log(`uncaught: ${err.stack ?? String(err)}`));
  process.on('unhandledRejection', (err) => log(`unhandled rejection: ${String(err)}`));
}
