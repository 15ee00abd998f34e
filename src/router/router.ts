import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TargetMetrics } from '../agent/protocol.js';
import { SlipwayError } from '../core/errors.js';
import { startProxyExchange, writeShortAnswer } from './proxy-exchange.js';
import { RouterTarget, type TargetAddress } from './router-target.js';
import {
  NO_ROUTE,
  BUCKETS,
  deriveRouteWithActive,
  deriveRouteWithSplit,
  formatBucketCookie,
  selectTarget,
  type CanarySplit,
  type RequestInfo,
  type RouteState,
  type Selection,
} from './split.js';

/** The router's one source of randomness: a new user's sticky bucket. */
const drawBucket = (): number => Math.floor(Math.random() * BUCKETS);
import { startUpgradeTunnel } from './upgrade-tunnel.js';

const NO_TARGET_BODY = 'Service unavailable: no release is active on this port yet (slipway router)\n';
const NO_TARGET_UPGRADE =
  'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

export interface DrainResult {
  /** True when every in-flight request finished before the timeout. */
  drained: boolean;
  /** Requests (and tunnels) still open at the timeout; they were cut when the target was removed. */
  abandoned: number;
  /** The target became active again before it drained; it was kept. */
  cancelled?: boolean;
}

/**
 * The per-host HTTP router of one app: owns the public port and sends each request to one target.
 * Deploys swap then drain: `setActive(new)` moves every new request at once, `drain(old)` waits for the old
 * target's in-flight requests and removes it.
 */
export class Router {
  readonly #server: Server;
  readonly #targets = new Map<string, RouterTarget>();
  readonly #draining = new Map<string, { result: Promise<DrainResult>; cancel: () => void }>();
  #route: RouteState = NO_ROUTE;
  // Selection is synchronous, so one view serves every request: no object per request.
  readonly #requestView = new IncomingRequestView();

  private constructor() {
    this.#server = createServer((req, res) => this.#onRequest(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    );
  }

  static async listen(opts: { port: number; host: string }): Promise<Router> {
    const router = new Router();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(describeListenError(err, opts));
      router.#server.once('error', onError);
      router.#server.listen({ port: opts.port, host: opts.host }, () => {
        router.#server.off('error', onError);
        resolve();
      });
    });
    // Accept errors (EMFILE …) must not crash the agent; Node keeps accepting once resources free up.
    router.#server.on('error', () => undefined);
    return router;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get active(): string | null {
    return this.#route.active;
  }

  targetIds(): string[] {
    return [...this.#targets.keys()];
  }

  drainingIds(): string[] {
    return [...this.#draining.keys()];
  }

  addTarget(t: TargetAddress): void {
    const existing = this.#targets.get(t.id);
    if (existing !== undefined) {
      if (existing.address.port === t.port && existing.address.release === t.release) return;
      throw new SlipwayError(`target ${t.id} is already routed to port ${existing.address.port}`, {
        hint: 'give the new target its own id',
      });
    }
    this.#targets.set(t.id, new RouterTarget({ id: t.id, release: t.release, port: t.port }));
  }

  /** Moves every new request to `id` at once; returns the previously active target. */
  setActive(id: string): string | null {
    if (!this.#targets.has(id)) {
      throw new SlipwayError(`cannot route to unknown target ${id}`, {
        hint: 'add the target before switching',
      });
    }
    const previous = this.#route.active;
    this.#route = deriveRouteWithActive(this.#route, id);
    this.#draining.get(id)?.cancel(); // switched back during its drain (a rollback): keep it
    return previous;
  }

  /** Stops routing: new requests get 503 until the next `setActive`. Returns the previously active target. */
  clearActive(): string | null {
    const previous = this.#route.active;
    this.#route = deriveRouteWithActive(this.#route, null);
    return previous;
  }

  /**
   * Waits until `id` has nothing in flight (or `timeoutMs` passes), then removes it. An unknown id (already
   * removed) is drained at once; a second call while draining joins the first. When the target becomes active
   * again meanwhile, the drain stops, the target stays, and the result says `cancelled`.
   */
  drain(id: string, timeoutMs: number): Promise<DrainResult> {
    if (this.#route.active === id) {
      const err = new SlipwayError(`cannot drain ${id}: it is the active target`, {
        hint: 'switch to another target first',
      });
      return Promise.reject(err);
    }
    // A canary being drained gets no new users: the split ends first.
    if (this.#route.split?.canary === id) this.#route = deriveRouteWithSplit(this.#route, null);
    const running = this.#draining.get(id);
    if (running !== undefined) return running.result;
    const target = this.#targets.get(id);
    if (target === undefined) return Promise.resolve({ drained: true, abandoned: 0 });

    const wait = target.whenIdle();
    let timer: NodeJS.Timeout | undefined;
    let cancel = (): void => undefined;
    const outcome = new Promise<'idle' | 'timeout' | 'cancelled'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      cancel = () => resolve('cancelled');
      void wait.idle.then(() => resolve('idle'));
    });
    const result = outcome.then(async (how): Promise<DrainResult> => {
      clearTimeout(timer);
      wait.cancel();
      this.#draining.delete(id);
      if (how === 'cancelled') return { drained: false, abandoned: 0, cancelled: true };
      const abandoned = how === 'idle' ? 0 : target.counters.inFlight;
      if (this.#targets.get(id) !== target) return { drained: abandoned === 0, abandoned }; // removed meanwhile
      this.#targets.delete(id);
      await (abandoned === 0 ? target.close() : target.destroy());
      return { drained: abandoned === 0, abandoned };
    });
    this.#draining.set(id, { result, cancel });
    return result;
  }

  /** Removes a target at once, cutting whatever it still serves. */
  async removeTarget(id: string): Promise<void> {
    if (this.#route.active === id) {
      throw new SlipwayError(`cannot remove ${id}: it is the active target`, {
        hint: 'switch to another target first',
      });
    }
    const target = this.#targets.get(id);
    if (target === undefined) return;
    this.#targets.delete(id);
    await target.destroy();
  }

  metrics(): TargetMetrics[] {
    return [...this.#targets.values()].map((t) => t.counters.snapshot());
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    const targets = [...this.#targets.values()];
    this.#targets.clear();
    this.#route = NO_ROUTE;
    await Promise.all([closed, ...targets.map((t) => t.destroy())]);
  }

  #select(req: IncomingMessage): Selection {
    const route = this.#route;
    if (route.split === null) return { target: route.active, newBucket: null }; // the usual case: no split
    this.#requestView.req = req;
    const selection = selectTarget(route, this.#requestView, drawBucket);
    this.#requestView.req = null;
    return selection;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const selection = this.#select(req);
    const target = selection.target === null ? undefined : this.#targets.get(selection.target);
    if (target === undefined) {
      writeShortAnswer(res, 503, NO_TARGET_BODY);
      return;
    }
    const cookie =
      this.#route.split && selection.newBucket !== null
        ? ['set-cookie', formatBucketCookie(this.#route.split.cookie, selection.newBucket)]
        : null;
    startProxyExchange(target, req, res, cookie);
  }

  /** Canary: `weight` percent of users (sticky by cookie) go to `canary`; the rest stay on the active target. */
  setSplit(split: CanarySplit): void {
    if (!this.#targets.has(split.canary)) {
      throw new SlipwayError(`cannot split to unknown target ${split.canary}`, {
        hint: 'add the target first',
      });
    }
    this.#route = deriveRouteWithSplit(this.#route, split);
  }

  /** Ends a split: every request goes to the active target again. */
  clearSplit(): void {
    this.#route = deriveRouteWithSplit(this.#route, null);
  }

  get split(): CanarySplit | null {
    return this.#route.split;
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const selected = this.#select(req).target;
    const target = selected === null ? undefined : this.#targets.get(selected);
    if (target === undefined) socket.end(NO_TARGET_UPGRADE);
    else startUpgradeTunnel(target, req, socket, head);
  }
}

class IncomingRequestView implements RequestInfo {
  req: IncomingMessage | null = null;
  header(name: string): string | undefined {
    const value = this.req?.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }
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
