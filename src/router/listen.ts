import type { Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { SlipwayError } from '../core/errors.js';

/** Listens on a port; a failure is a SlipwayError that says what to do. */
export async function listenOn(
  listener: NetServer | Server,
  opts: { port: number; host: string },
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(describeListenError(err, opts));
    listener.once('error', onError);
    listener.listen({ port: opts.port, host: opts.host }, () => {
      listener.off('error', onError);
      resolve();
    });
  });
  // Accept errors (EMFILE …) must not crash the agent; Node keeps accepting once resources free up.
  listener.on('error', () => undefined);
}

/** Resolves once the server no longer listens (at once when it never did). */
export function closeServer(server: NetServer): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

function describeListenError(err: NodeJS.ErrnoException, opts: { port: number; host: string }): SlipwayError {
  const where = `port ${opts.port} on ${opts.host}`;
  if (err.code === 'EADDRINUSE') {
    return new SlipwayError(`${where} is already in use`, {
      cause: err,
      hint: 'stop whatever listens there or choose another publicPort in slipway.yml',
    });
  }
  if (err.code === 'EACCES') {
    return new SlipwayError(`not allowed to listen on ${where}`, {
      cause: err,
      hint: 'ports below 1024 need root or CAP_NET_BIND_SERVICE; or choose another publicPort in slipway.yml',
    });
  }
  if (err.code === 'EADDRNOTAVAIL') {
    return new SlipwayError(`cannot listen on ${where}: the address is not on this host`, {
      cause: err,
      hint: 'check bindAddress in slipway.yml',
    });
  }
  return new SlipwayError(`cannot listen on ${where}: ${err.message}`, { cause: err });
}
