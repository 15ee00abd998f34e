/**
 * The dashboard's pages, addressed by the URL's hash (`#/deployments/d-123`), so the server needs no routing of
 * its own for them and a reload or a shared link lands on the same page. Pure: hash in, route out, and back.
 */
export type Route =
  | { kind: 'login' }
  | { kind: 'environments' }
  | { kind: 'deployments'; environment: string | null }
  | { kind: 'deployment'; id: string }
  | { kind: 'canary'; environment: string }
  | { kind: 'releases'; q: string }
  | { kind: 'ledger'; q: string; environment: string | null; kind_: string | null }
  | { kind: 'not-found'; hash: string };

export const HOME: Route = { kind: 'environments' };

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [pathPart = '', queryPart = ''] = text.split('?', 2);
  const path = pathPart.split('/').filter((s) => s.length > 0);
  const query = new URLSearchParams(queryPart);
  const [first, second, third] = path.map(safeDecode);
  if (first === undefined) return HOME;
  if (first === 'login' && path.length === 1) return { kind: 'login' };
  if (first === 'environments' && path.length === 1) return { kind: 'environments' };
  if (first === 'environments' && second && third === 'canary' && path.length === 3)
    return { kind: 'canary', environment: second };
  if (first === 'deployments' && path.length === 1)
    return { kind: 'deployments', environment: query.get('environment') || null };
  if (first === 'deployments' && second && path.length === 2) return { kind: 'deployment', id: second };
  if (first === 'releases' && path.length === 1) return { kind: 'releases', q: query.get('q') ?? '' };
  if (first === 'ledger' && path.length === 1)
    return {
      kind: 'ledger',
      q: query.get('q') ?? '',
      environment: query.get('environment') || null,
      kind_: query.get('kind') || null,
    };
  return { kind: 'not-found', hash: text };
}

/** The hash of a route, e.g. `#/ledger?environment=production`; `parseRoute(hrefOf(r))` gives `r` back. */
export function hrefOf(route: Route): string {
  switch (route.kind) {
    case 'login':
      return '#/login';
    case 'environments':
      return '#/environments';
    case 'deployments':
      return `#/deployments${queryOf({ environment: route.environment })}`;
    case 'deployment':
      return `#/deployments/${encodeURIComponent(route.id)}`;
    case 'canary':
      return `#/environments/${encodeURIComponent(route.environment)}/canary`;
    case 'releases':
      return `#/releases${queryOf({ q: route.q })}`;
    case 'ledger':
      return `#/ledger${queryOf({ q: route.q, environment: route.environment, kind: route.kind_ })}`;
    case 'not-found':
      return `#${route.hash}`;
  }
}

function queryOf(params: Record<string, string | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
