import type { Grant } from './roles.js';

/** Who a request acts for: the name the ledger records, and what they may do. */
export interface Principal {
  name: string;
  grants: readonly Grant[];
  /** `token` (Authorization: Bearer) or `session` (the dashboard's cookie, which needs a CSRF token to mutate). */
  via: 'token' | 'session';
}
