import type { ServerEvent } from '../api-types.js';
import { grantedEnvironments } from '../auth/roles.js';
import { parseLastEventId } from '../events/sse-frame.js';
import type { Handler } from './handler.js';
import { principalOf } from './handler.js';

/** A reconnecting client gets at most this many missed ledger events; older ones are in GET /ledger. */
const MAX_REPLAY = 5000;
const PAGE = 500;

/**
 * GET /events: Server-Sent Events of what the store records, filtered to the principal's environments. With
 * Last-Event-ID (a ledger seq) the ledger events after it are sent first.
 */
export const getEvents: Handler = async (c, deps) => {
  const principal = principalOf(c);
  const granted = grantedEnvironments(principal.grants, 'read');
  const app = deps.project.config.app;
  const client = await deps.events.subscribe(principal.grants, {
    afterSeq: parseLastEventId(c.req.header('last-event-id')),
    replay: async (afterSeq) => {
      const out: ServerEvent[] = [];
      let after = afterSeq;
      while (out.length < MAX_REPLAY) {
        const page = await deps.project.store.listEvents({
          app,
          afterSeq: after,
          limit: PAGE,
          ...(granted !== '*' ? { visibleEnvironments: granted } : {}),
        });
        // Newest first: take the page's oldest, and page forward from the last one.
        const oldestFirst = page.reverse();
        for (const event of oldestFirst) out.push({ kind: 'ledger', event });
        after = oldestFirst.at(-1)?.seq ?? after;
        if (page.length < PAGE) break;
      }
      return out;
    },
  });
  c.req.raw.signal.addEventListener('abort', () => client.close(), { once: true });
  return new Response(client.stream, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx and friends would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    },
  });
};
