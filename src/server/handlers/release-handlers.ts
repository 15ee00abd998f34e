import type { ReleaseView } from '../api-types.js';
import { queryInt, queryText } from '../request-input.js';
import { toReleaseView } from '../views.js';
import type { Handler } from './handler.js';

/** GET /releases?q=&limit=: newest first; `q` matches the version or the source. */
export const listReleases: Handler = async (c, deps) => {
  const { store, config } = deps.project;
  const limit = queryInt(c, 'limit', 50, 1000);
  const q = queryText(c, 'q')?.toLowerCase();
  const [releases, marks] = await Promise.all([
    store.listReleases(config.app),
    store.listReleaseMarks(config.app),
  ]);
  const views: ReleaseView[] = releases
    .filter((r) => !q || r.version.toLowerCase().includes(q) || (r.source ?? '').toLowerCase().includes(q))
    .slice(0, limit)
    .map((r) => toReleaseView(r, marks));
  return c.json(views);
};
