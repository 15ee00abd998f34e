import type { SessionView } from '../api-types.js';
import type { Handler } from './handler.js';
import { principalOf } from './handler.js';

/** GET /session for bearer tokens (the auth routes answer it for dashboard sessions too, once mounted). */
export const getTokenSession: Handler = (c) => {
  const principal = principalOf(c);
  const view: SessionView = {
    name: principal.name,
    grants: [...principal.grants],
    via: principal.via,
    csrfToken: null,
  };
  return c.json(view);
};
