import { ProtocolClient } from './agent-client.js';
import { tryConnectSocket } from './agent-process.js';
import type { KeeperMethods } from './keeper.js';
import type { RouterMethods } from './routes/route-protocol.js';

/** The keeper's status, or null when no keeper answers on `socketPath`. */
export async function keeperStatus(socketPath: string): Promise<KeeperMethods['status']['result'] | null> {
  return withKeeper(socketPath, (k) => k.call('status', {}));
}

/** Tells the keeper to stop supervising and exit; false when none answers. */
export async function stopKeeper(socketPath: string): Promise<boolean> {
  return (await withKeeper(socketPath, (k) => k.call('stop', {}))) !== null;
}

async function withKeeper<T>(
  socketPath: string,
  use: (client: ProtocolClient<KeeperMethods>) => Promise<T>,
): Promise<T | null> {
  const socket = await tryConnectSocket(socketPath);
  if (!socket) return null;
  const client = new ProtocolClient<KeeperMethods>(socket, 'this host', 'keeper');
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** Asks a router process whose agent is gone to close the public ports and exit; false when none answers. */
export async function stopRouterProcess(socketPath: string): Promise<boolean> {
  const socket = await tryConnectSocket(socketPath);
  if (!socket) return false;
  const client = new ProtocolClient<RouterMethods>(socket, 'this host', 'router process');
  try {
    await client.call('shutdown', {});
  } finally {
    client.close();
  }
  // It answers before it closes: wait for its socket to go.
  for (
    let i = 0;
    i < 100 && (await tryConnectSocket(socketPath).then((s) => (s?.destroy(), s !== null)));
    i++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
