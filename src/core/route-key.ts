/**
 * What a route key on a host names: `app`, or `app@environment` for an environment with `domains`; an edge's key is
 * the same behind `edge:` (`edge:app`, `edge:app@environment`). The agent's routes, its events and the control
 * plane's ledger all read keys through this. Pure.
 */
export function parseRouteKey(key: string): { edge: boolean; app: string; environment: string | null } {
  const edge = key.startsWith('edge:');
  const bare = edge ? key.slice('edge:'.length) : key;
  const at = bare.indexOf('@');
  return at === -1
    ? { edge, app: bare, environment: null }
    : { edge, app: bare.slice(0, at), environment: bare.slice(at + 1) || null };
}
