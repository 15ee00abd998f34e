/** Test-only: a real router on a loopback port with one active target, its fast path on or off. */
import { Router } from './router.js';

export async function listenRouterTo(port: number, opts: { fastPath?: boolean } = {}): Promise<Router> {
  // The router reads SLIPWAY_ROUTER_FAST_PATH when it is created.
  const previous = process.env.SLIPWAY_ROUTER_FAST_PATH;
  if (opts.fastPath === false) process.env.SLIPWAY_ROUTER_FAST_PATH = '0';
  else delete process.env.SLIPWAY_ROUTER_FAST_PATH;
  try {
    const router = await Router.listen({ port: 0, host: '127.0.0.1' });
    router.addTarget({ id: 'app', release: 'v1', port });
    router.setActive('app');
    return router;
  } finally {
    if (previous === undefined) delete process.env.SLIPWAY_ROUTER_FAST_PATH;
    else process.env.SLIPWAY_ROUTER_FAST_PATH = previous;
  }
}
