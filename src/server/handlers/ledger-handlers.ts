import { grantedEnvironments } from '../auth/roles.js';
import type { LedgerEventView } from '../api-types.js';
import { HttpError } from '../map-error.js';
import { queryInt, queryText } from '../request-input.js';
import type { Handler } from './handler.js';
import { principalOf } from './handler.js';

/**
 * GET /ledger?environment=&kind=&q=&limit=&beforeSeq=&order=: newest first (appended, or by time with order=time). A principal granted some environments sees
 * their events and those of no environment (e.g. `release.created`).
 */
export const listLedger: Handler = async (c, deps) => {
  const principal = principalOf(c);
  const environment = queryText(c, 'environment');
  const kind = queryText(c, 'kind');
  const search = queryText(c, 'q');
  const beforeSeq =
    queryText(c, 'beforeSeq') === undefined
      ? undefined
      : queryInt(c, 'beforeSeq', 1, Number.MAX_SAFE_INTEGER);
  const order = queryText(c, 'order');
  if (order !== undefined && order !== 'seq' && order !== 'time')
    throw new HttpError(400, `order must be seq or time, not ${order}`);
  // Pages follow the order of appends; by time an event copied in late would be skipped or seen twice.
  if (order === 'time' && beforeSeq !== undefined)
    throw new HttpError(400, 'beforeSeq pages in the order of appends: leave out order=time to page');
  const granted = grantedEnvironments(principal.grants, 'read');
  if (environment !== undefined && granted !== '*' && !granted.includes(environment))
    throw new HttpError(403, `${principal.name} may not read ${environment}`);
  const events: LedgerEventView[] = await deps.project.store.listEvents({
    app: deps.project.config.app,
    limit: queryInt(c, 'limit', 100, 1000),
    ...(environment ? { environment } : {}),
    ...(kind ? { kinds: kind.split(',').map((k) => k.trim()) } : {}),
    ...(search ? { search } : {}),
    ...(beforeSeq !== undefined ? { beforeSeq } : {}),
    ...(granted !== '*' ? { visibleEnvironments: granted } : {}),
    ...(order ? { order } : {}),
  });
  return c.json(events);
};
