import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';
import { DEFAULTS } from '../config/defaults.js';
import { resolveRegistry } from '../config/registry-values.js';
import type { RegistryCredentials, RegistryLogin } from '../agent/image-protocol.js';
import type { ImageSpec } from '../agent/protocol.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { Plan } from '../plan/steps.js';
import type { ReleaseRuntime } from '../plan/plan-input.js';
import type { SlipwayConfig } from '../config/schema.js';
import { checkRegistryManifest } from '../runtime/registry-client.js';

/**
 * The login hosts pull a release with: the one in slipway.yml now when it names the release's registry (a user
 * renamed or rotated since the release was made), else the one recorded with the release. Pure.
 */
export function withCurrentRegistryLogin(
  release: ReleaseRuntime,
  config: Pick<SlipwayConfig, 'app' | 'runtime'>,
): ReleaseRuntime {
  const container = release.container;
  if (!container?.pull || config.runtime.kind !== 'docker') return release;
  const current = resolveRegistry(config.app, config.runtime.registry);
  if (current === null || !container.ref.startsWith(`${current.server}/`)) return release;
  const { login: _recorded, ...rest } = container;
  return {
    ...release,
    container: current.login ? { ...rest, login: { server: current.server, ...current.login } } : rest,
  };
}

/** A pull's login with its password, from the deployment's secrets (resolveSecrets loaded it). */
export function registryCredentialsOf(
  login: RegistryLogin | undefined,
  secrets: ReadonlyMap<string, Secret>,
): RegistryCredentials | undefined {
  if (!login) return undefined;
  const password = secrets.get(login.passwordSecret);
  if (!password) {
    throw new SlipwayError(`the registry password (secret ${login.passwordSecret}) has no value`, {
      hint: `set ${login.passwordSecret} or SLIPWAY_SECRET_${login.passwordSecret} in the environment, or in .slipway/secrets/<environment>.env`,
    });
  }
  return { server: login.server, username: login.username, password: password.reveal() };
}

/** The images the plan's install steps pull from a registry, with the hosts that install each. */
function pulledImages(plan: Plan): Map<string, { image: ImageSpec; hosts: string[] }> {
  const images = new Map<string, { image: ImageSpec; hosts: string[] }>();
  for (const step of plan.stages.flatMap((s) => s.steps)) {
    if (step.kind !== 'install-release' || !step.image?.pull) continue;
    const entry = images.get(step.image.ref) ?? { image: step.image, hosts: [] };
    entry.hosts.push(step.host);
    images.set(step.image.ref, entry);
  }
  return images;
}

/**
 * Before anything changes: each image the plan pulls is in the registry and the login is accepted. The registry is
 * asked over HTTPS from the control plane (API v2, HEAD of the manifest by digest), so a control plane without a
 * Docker Engine checks too. Skipped for an image every host has already (a rollback to a retained release does not
 * depend on the registry). Its CA: `runtime.registry.ca` of slipway.yml when it names the same server.
 */
export async function checkRegistryImages(
  cp: Pick<ControlPlane, 'config' | 'hosts' | 'projectDir'>,
  plan: Plan,
  secrets: ReadonlyMap<string, Secret>,
): Promise<void> {
  for (const [ref, { image, hosts }] of pulledImages(plan)) {
    // A host whose agent does not run is not asked (asking would start it): the registry is asked instead.
    const notRunning = new Set(plan.agentNotRunning ?? []);
    if (!hosts.some((h) => notRunning.has(h)) && (await allHostsHave(cp, image, hosts))) continue;
    const at = ref.indexOf('@');
    const slash = ref.indexOf('/');
    const server = ref.slice(0, slash);
    const credentials = registryCredentialsOf(image.login, secrets);
    const found = await checkRegistryManifest({
      server,
      repository: ref.slice(slash + 1, at),
      reference: ref.slice(at + 1),
      ...(credentials ? { credentials } : {}),
      ...(await readRegistryCa(cp, server)),
      timeoutMs: DEFAULTS.runtime.registryCheckTimeoutMs,
    });
    if (found === 'missing') {
      throw new SlipwayError(
        `release ${plan.release.version}'s image ${ref} is not in registry ${server}; nothing was changed`,
        {
          hint: 'the image was deleted from the registry (or its push never finished): create a new release (slipway release create) and deploy that',
        },
      );
    }
  }
}

async function allHostsHave(
  cp: Pick<ControlPlane, 'hosts'>,
  image: ImageSpec,
  hosts: string[],
): Promise<boolean> {
  const answers = await Promise.all(
    hosts.map(async (name) => {
      const host = cp.hosts.get(name);
      if (!host) return false;
      try {
        const agent = await host.agent();
        return (await agent.call('hasImage', { socket: image.socket, id: image.id })).present;
      } catch {
        return false; // not known: the registry is asked
      }
    }),
  );
  return answers.every(Boolean);
}

async function readRegistryCa(
  cp: Pick<ControlPlane, 'config' | 'projectDir'>,
  server: string,
): Promise<{ ca?: string }> {
  const runtime = cp.config.runtime;
  if (runtime.kind !== 'docker') return {};
  const registry = resolveRegistry(cp.config.app, runtime.registry);
  if (registry?.server !== server || registry.ca === null) return {};
  const path = resolve(cp.projectDir ?? process.cwd(), registry.ca);
  try {
    return { ca: await readFile(path, 'utf8') };
  } catch (err) {
    throw new SlipwayError(`cannot read runtime.registry.ca (${path}): ${(err as Error).message}`, {
      hint: "give the PEM file of the CA that signed the registry's certificate, relative to slipway.yml",
    });
  }
}
