/** Test-only: a real router on a loopback port with one active target, its fast path on or off, plain or TLS. */
import { connect as connectNet, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Router } from './router.js';
import { TEST_SERVER_NAME, sharedTestTls } from './test-certificates.js';

export interface ListenRouterOptions {
  fastPath?: boolean;
  /** Also listen with TLS (the shared test certificate); `clientPort` then gives the TLS port. */
  tls?: boolean;
}

/** The shared test CA, once a TLS router was started in this worker. */
let testCa: string | null = null;

export async function listenRouterTo(port: number, opts: ListenRouterOptions = {}): Promise<Router> {
  let tls;
  if (opts.tls === true) {
    const { pki, store } = await sharedTestTls();
    testCa = pki.ca;
    tls = { port: 0, store };
  }
  // The router reads SLIPWAY_ROUTER_FAST_PATH when it is created.
  const previous = process.env.SLIPWAY_ROUTER_FAST_PATH;
  if (opts.fastPath === false) process.env.SLIPWAY_ROUTER_FAST_PATH = '0';
  else delete process.env.SLIPWAY_ROUTER_FAST_PATH;
  try {
    const router = await Router.listen({ port: 0, host: '127.0.0.1', tls });
    router.addTarget({ id: 'app', release: 'v1', port });
    router.setActive('app');
    return router;
  } finally {
    if (previous === undefined) delete process.env.SLIPWAY_ROUTER_FAST_PATH;
    else process.env.SLIPWAY_ROUTER_FAST_PATH = previous;
  }
}

/** The port a test client uses: the TLS listener's when there is one. */
export function clientPort(router: Router): number {
  return router.tlsPort ?? router.port;
}

/** Plain (false), TLS to a router of `listenRouterTo` (true), or TLS trusting `ca` with SNI `servername`. */
export type TlsClient = boolean | { ca: string; servername: string };

/**
 * A client connection to `port`, plain or TLS (trusting the test CA, SNI `router.test`, ALPN http/1.1); `onOpen`
 * runs once it can carry HTTP bytes (over TLS: after the handshake).
 */
export function openClientSocket(port: number, tls: TlsClient, onOpen: () => void): Socket {
  if (tls === false) {
    const socket = connectNet({ host: '127.0.0.1', port });
    socket.once('connect', onOpen);
    return socket;
  }
  const ca = tls === true ? testCa : tls.ca;
  if (ca === null) throw new Error('no TLS router was started: listenRouterTo(…, { tls: true }) first');
  const socket = connectTls({
    host: '127.0.0.1',
    port,
    servername: tls === true ? TEST_SERVER_NAME : tls.servername,
    ca,
    ALPNProtocols: ['http/1.1'],
  });
  socket.once('secureConnect', onOpen);
  return socket;
}
