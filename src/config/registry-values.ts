import type { RegistryConfig } from './runtime-schema.js';

/** A registry as release creation and hosts use it: where the app's images go, and who logs in. */
export interface ResolvedRegistry {
  /** host[:port]: what the engine sends credentials to (X-Registry-Auth `serveraddress`). */
  server: string;
  /** The repository's path in the registry, e.g. `team/app`. */
  repository: string;
  /** Absent for a registry that takes pushes and pulls without a login. */
  login: { username: string; passwordSecret: string } | null;
  /** The control plane's CA bundle for the registry's HTTPS (a path as written in slipway.yml); null: the system's. */
  ca: string | null;
}

/** Docker's rule: the first path component names a registry when it has a dot or a port, or is localhost. */
function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/**
 * `runtime.registry` in one shape. The string form (`registry.example.com/team`) is a registry without a login
 * whose repository is `<path>/<app>`; a string without a host part is Docker Hub's. Pure.
 */
export function resolveRegistry(app: string, registry: RegistryConfig | undefined): ResolvedRegistry | null {
  if (registry === undefined) return null;
  if (typeof registry === 'string') {
    const parts = registry.replace(/\/+$/, '').split('/');
    const first = parts[0] ?? '';
    const [server, path] = isRegistryHost(first)
      ? [first, parts.slice(1)]
      : ['docker.io', parts.filter((p) => p.length > 0)];
    return { server, repository: [...path, app].join('/'), login: null, ca: null };
  }
  return {
    server: registry.server,
    repository: registry.repository ?? app,
    login:
      registry.username !== undefined && registry.passwordSecret !== undefined
        ? { username: registry.username, passwordSecret: registry.passwordSecret }
        : null,
    ca: registry.ca ?? null,
  };
}

/** `<server>/<repository>:<version>`: the tag pushed beside the digest. */
export function deriveRegistryTag(registry: ResolvedRegistry, version: string): string {
  return `${registry.server}/${registry.repository}:${version}`;
}

/** `<server>/<repository>@sha256:…`: what a release pins and hosts pull. */
export function deriveRegistryDigestRef(registry: ResolvedRegistry, digest: string): string {
  return `${registry.server}/${registry.repository}@${digest}`;
}
