import type { JobRunner } from './jobs/job-runner.js';
import { createEventHub, type EventHub } from './events/event-hub.js';
import { createStoreEventPoller } from './events/store-event-poller.js';
import { ServerMetrics } from './metrics/server-metrics.js';
import type { ServerProject } from './server-env.js';

export const SERVER_DEFAULTS = {
  /** How often the store is read for new events (the contract's ~300 ms). */
  eventPollMs: 300,
  /** A comment on every SSE stream this often, so that proxies keep it open. */
  heartbeatMs: 15_000,
  /** Unread bytes a slow SSE client may have queued before it is dropped. */
  maxQueuedBytesPerClient: 1024 * 1024,
} as const;

/** The parts of a server process that live beside the HTTP app: the store poller, the SSE clients, the counters. */
export interface ServerRuntime {
  events: EventHub;
  metrics: ServerMetrics;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createServerRuntime(options: {
  project: ServerProject;
  jobs: JobRunner;
  log(line: string): void;
  eventPollMs?: number;
  heartbeatMs?: number;
  maxQueuedBytesPerClient?: number;
}): ServerRuntime {
  const events = createEventHub({
    maxQueuedBytes: options.maxQueuedBytesPerClient ?? SERVER_DEFAULTS.maxQueuedBytesPerClient,
  });
  const poller = createStoreEventPoller({
    store: options.project.store,
    app: options.project.config.app,
    jobs: options.jobs,
    pollMs: options.eventPollMs ?? SERVER_DEFAULTS.eventPollMs,
    onEvents: (e) => events.publish(e),
    onError: (err) => options.log(`event poll failed: ${err instanceof Error ? err.message : String(err)}`),
  });
  let heartbeat: NodeJS.Timeout | null = null;
  return {
    events,
    metrics: new ServerMetrics(),
    async start() {
      await poller.start();
      heartbeat = setInterval(() => events.heartbeat(), options.heartbeatMs ?? SERVER_DEFAULTS.heartbeatMs);
      heartbeat.unref();
    },
    async stop() {
      if (heartbeat) clearInterval(heartbeat);
      await poller.stop();
      events.closeAll();
    },
  };
}
