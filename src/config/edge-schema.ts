import { z } from 'zod';
import { parseDurationMs } from '../core/duration.js';
import { bindAddressSchema } from './address-schema.js';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';
import { hostSchema } from './host-schema.js';

/** How long undici keeps trying to connect behind the edge's own timer (router/edge-pool.ts): the most it may wait. */
const MAX_CONNECT_TIMEOUT_MS = 10_000;
/** The router's own header timeout behind the edge's timer (router/edge-failover.ts): the longest cap. */
const MAX_ANSWER_TIMEOUT_MS = 300_000;

const answerTimeoutSchema = z
  .strictObject({
    min: duration({ max: MAX_ANSWER_TIMEOUT_MS })
      .default(DEFAULTS.edge.answerTimeout.min)
      .describe(
        "The least time a request waits for a host's answer to begin before it may go to another host: the floor of the host's bound, which follows its p99 answer time over the last minute.",
      ),
    max: duration({ max: MAX_ANSWER_TIMEOUT_MS })
      .default(DEFAULTS.edge.answerTimeout.max)
      .describe(
        'The cap of the bound, and the longest any request waits for its answer to begin: then it is answered 502.',
      ),
  })
  .refine((t) => (parseDurationMs(t.min) ?? 0) <= (parseDurationMs(t.max) ?? 0), {
    message: 'answerTimeout.min must not be above answerTimeout.max',
    path: ['min'],
  })
  .describe(
    "How long the edge waits for a host's answer to begin. A GET, HEAD or OPTIONS without a body that gets nothing within the host's bound, while that host answers nothing else either (its link is gone, not just a slow request), is cancelled and sent once to another host. Other requests are never sent twice: they wait up to `max`.",
  );

/** The edge of an environment: where it runs, its port, and how it fails over between the hosts' routers. */
export const edgeSchema = z
  .strictObject({
    host: hostSchema.describe(
      'Where the edge router runs: `local` or an SSH host (it may be one of the app hosts).',
    ),
    publicPort: z.int().min(1).max(65535).describe('The port users reach the app on.'),
    bindAddress: bindAddressSchema.default(DEFAULTS.bindAddress).describe('IP address the edge listens on.'),
    connectTimeout: duration({ max: MAX_CONNECT_TIMEOUT_MS })
      .default(DEFAULTS.edge.connectTimeout)
      .describe(
        "How long the edge waits for a connection to a host's router; a host that does not accept in time counts as a timeout (`ejectAfter`), and a GET, HEAD or OPTIONS goes to another host (other requests are answered 502, never sent).",
      ),
    answerTimeout: answerTimeoutSchema.default(() => answerTimeoutSchema.parse({})),
    retryBudget: z
      .number()
      .min(0)
      .max(1)
      .default(DEFAULTS.edge.retryBudget)
      .describe(
        'Retries away from one host after its bound, as a share of its requests over the last 10 s (at least 3 are always allowed): a slow but live pool cannot double its own load. Requests of an ejected host, and requests that could not connect, move on regardless.',
      ),
    ejectAfter: z
      .int()
      .min(1)
      .max(100)
      .default(DEFAULTS.edge.ejectAfter)
      .describe(
        'Timeouts in a row (no connection, or no answer within the bound while the host answers nothing else) that take a host out of rotation at once, without waiting for its health checks; a refused connection takes it out at the first. At most half of the hosts are out for timeouts at once, never the last one. Passing health checks (`healthyThreshold`) bring it back.',
      ),
  })
  .describe(
    "An edge router that balances users across the hosts' routers, health-checks them, moves requests off a host that stops answering, and lets a host be drained during a rolling update.",
  );

export type EdgeConfig = z.output<typeof edgeSchema>;
