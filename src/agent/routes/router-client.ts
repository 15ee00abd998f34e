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
  metrics: true,
  allMetrics: true,
  shutdown: true,
};

/**
 * The agent's side of the router process: the RoutePort over `router.sock`. Every method of that protocol is
 * idempotent (it says where traffic goes, not how to change it), so a call cut by a router restart is sent again
 * to the new process once it answers.
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
      if (!(err instanceof AgentError) || err.code !== 'Disconnected' || method === 'shutdown') throw err;
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
