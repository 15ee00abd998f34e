import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { SlipwayError } from '../core/errors.js';
import { describeRegistryError } from './registry-errors.js';

/** The manifest types a release's image may have (Docker's and OCI's, single and multi-platform). */
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

export interface ManifestQuery {
  server: string;
  repository: string;
  /** `sha256:…` (or a tag). */
  reference: string;
  /** Absent: asked without a login. */
  credentials?: { username: string; password: string };
  /** PEM certificates to trust for the registry's HTTPS; absent: the system's. */
  ca?: string;
  timeoutMs: number;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  url: string,
  options: { method: string; headers: Record<string, string>; ca?: string; timeoutMs: number },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method,
        headers: options.headers,
        // A given CA is trusted besides the system's (Node's `ca` alone would replace them).
        ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}),
        timeout: options.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (chunks.length < 64) chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8').slice(0, 2000),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs}ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Where a registry's API answers: Docker Hub's images are named docker.io/…, its API is registry-1.docker.io. */
export function registryApiHost(server: string): string {
  return server === 'docker.io' ? 'registry-1.docker.io' : server;
}

/** The bearer-token challenge of a registry that uses a token service (Docker Hub, Harbor, GitLab …). Pure. */
export function parseBearerChallenge(
  header: string | undefined,
): { realm: string; params: Record<string, string> } | null {
  if (!header || !/^bearer\s/i.test(header)) return null;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)="([^"]*)"/g))
    if (m[1] && m[2] !== undefined) params[m[1]] = m[2];
  const { realm, ...rest } = params;
  return realm ? { realm, params: rest } : null;
}

/**
 * Asks the registry (its HTTP API v2, over HTTPS) whether it has the manifest, logged in as given: basic auth, or
 * a bearer token from the registry's token service when it answers with that challenge. `present` or `missing`;
 * a refused login, an untrusted certificate or an unreachable registry throws, naming the registry and the user
 * (never the password).
 */
export async function checkRegistryManifest(query: ManifestQuery): Promise<'present' | 'missing'> {
  const action = {
    doing: `look up ${query.server}/${query.repository}@${query.reference}`,
    server: query.server,
    username: query.credentials?.username ?? null,
    secrets: query.credentials ? [query.credentials.password] : [],
  };
  const basic = query.credentials
    ? `Basic ${Buffer.from(`${query.credentials.username}:${query.credentials.password}`).toString('base64')}`
    : null;
  const url = `https://${registryApiHost(query.server)}/v2/${query.repository}/manifests/${query.reference}`;
  const ask = (authorization: string | null): Promise<Answer> =>
    get(url, {
      method: 'HEAD',
      headers: { Accept: MANIFEST_TYPES, ...(authorization ? { Authorization: authorization } : {}) },
      ...(query.ca ? { ca: query.ca } : {}),
      timeoutMs: query.timeoutMs,
    });
  try {
    let answer = await ask(basic);
    const challenge =
      answer.status === 401 ? parseBearerChallenge(String(answer.headers['www-authenticate'] ?? '')) : null;
    if (challenge) {
      const tokenUrl = new URL(challenge.realm);
      for (const [k, v] of Object.entries(challenge.params)) tokenUrl.searchParams.set(k, v);
      if (!tokenUrl.searchParams.has('scope'))
        tokenUrl.searchParams.set('scope', `repository:${query.repository}:pull`);
      const token = await get(tokenUrl.toString(), {
        method: 'GET',
        headers: basic ? { Authorization: basic } : {},
        ...(query.ca ? { ca: query.ca } : {}),
        timeoutMs: query.timeoutMs,
      });
      if (token.status !== 200)
        throw describeRegistryError(action, `the token service answered ${token.status} (unauthorized)`);
      const parsed = JSON.parse(token.body) as { token?: string; access_token?: string };
      answer = await ask(`Bearer ${parsed.token ?? parsed.access_token ?? ''}`);
    }
    if (answer.status === 200) return 'present';
    if (answer.status === 404) return 'missing';
    if (answer.status === 401 || answer.status === 403)
      throw describeRegistryError(action, `${answer.status} unauthorized: the login was refused`);
    throw describeRegistryError(action, `the registry answered ${answer.status}`);
  } catch (err) {
    if (err instanceof SlipwayError) throw err;
    throw describeRegistryError(action, err instanceof Error ? err.message : String(err));
  }
}
