import { AgentError, SlipwayError } from '../../core/errors.js';
import { ProtocolClient } from '../agent-client.js';
import { tryConnectSocket } from '../agent-process.js';
import { sleep } from '../process-util.js';
import type { RouterMethods } from './route-protocol.js';
import type { RoutePort } from './route-table.js';

/** How long a call waits for the router process to answer (its supervisor restarts it within a second). */
const ROUTER_WAIT_MS = 5_000;
const RETRY_CONNECT_MS = 25;

/** Every method of the protocol (a new one that is not listed here does not compile). */
const METHODS: Record<keyof RouterMethods, true> = {
  ping: true,
  routes: true,
  ensureRoute: true,
  switchRoute: true,
  setWeight: true,
  unroute: true,
  forgetTrip: true,
  ensureEdge: true,
  setEdgeMember: true,
  renewCertificate: true,
  acmeChallenge: true,
  setMaintenance: true,
  metrics: true,
  allMetrics: true,
  shutdown: true,
};

/** The methods that are not idempotent: a call cut by a router restart is not sent again. */
const NOT_RESENT: ReadonlySet<keyof RouterMethods> = new Set(['shutdown', 'renewCertificate']);

/**
 * The agent's side of the router process: the RoutePort over `router.sock`. The methods of that protocol that say
 * where traffic goes are idempotent, so a call cut by a router restart is sent again to the new process once it
 * answers; those that are not (NOT_RESENT) fail with the cut.
 */
export function connectRouterPort(socketPath: string): RoutePort & { close(): void } {
  let client: ProtocolClient<RouterMethods> | null = null;

  const connected = async (): Promise<ProtocolClient<RouterMethods>> => {
    if (client && !client.closed) return client;
    const deadline = Date.now() + ROUTER_WAIT_MS;
    for (;;) {
      const socket = await tryConnectSocket(socketPath);
      if (socket) {
        client = new ProtocolClient<RouterMethods>(socket, 'this host', 'router process');
        return client;
      }
      if (Date.now() >= deadline) {
        throw new SlipwayError(`the router process does not answer on ${socketPath}`, {
          hint: 'its supervisor restarts it; see router.log in the agent home, and `slipway check`',
        });
      }
      await sleep(RETRY_CONNECT_MS);
    }
  };

  const call = async <M extends keyof RouterMethods>(
    method: M,
    params: RouterMethods[M]['params'],
  ): Promise<RouterMethods[M]['result']> => {
    try {
      return await (await connected()).call(method, params);
    } catch (err) {
      if (err instanceof AgentError && err.code === 'UnknownMethod') throw olderRouter(method, err);
      if (!(err instanceof AgentError) || err.code !== 'Disconnected' || NOT_RESENT.has(method)) throw err;
      return (await connected()).call(method, params);
    }
  };

  const port = Object.fromEntries(
    (Object.keys(METHODS) as Array<keyof RouterMethods>).map((m) => [
      m,
      (params: unknown) => call(m, params as never),
    ]),
  ) as unknown as RoutePort;
  return { ...port, close: () => client?.close() };
}

/** The router process outlives agent upgrades: one started by an older bundle does not know a newer method. */
function olderRouter(method: string, cause: AgentError): SlipwayError {
  return new SlipwayError(
    `the router process of this host predates ${method}: it still runs the code it started with, before the agent was upgraded`,
    {
      cause,
      hint: 'it runs the new code once it restarts (a reboot, or `slipway agent stop` on the host, which closes its public ports for a moment); meanwhile it keeps serving and renewing certificates on its own timer',
    },
  );
}
