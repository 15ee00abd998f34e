import { resolve } from 'node:path';
import type { DockerRuntimeConfig } from '../config/runtime-schema.js';
import { parseByteSize } from '../config/config-values.js';
import type { SlipwayConfig } from '../config/schema.js';
import { SlipwayError } from '../core/errors.js';
import type { RegistryCredentials } from '../agent/image-protocol.js';
import type { Secret } from '../core/secret.js';
import {
  deriveRegistryDigestRef,
  deriveRegistryTag,
  resolveRegistry,
  type ResolvedRegistry,
} from '../config/registry-values.js';
import { buildImage, deriveImageRef, pushImage, saveImage } from './build-image.js';
import type { ImageSnapshot } from './release-snapshot.js';

export interface PackedImage {
  image: ImageSnapshot;
  sha256: string;
  path: string;
  sizeBytes: number;
}

/** The engine `release create` builds with: runtime.buildSocket, else DOCKER_HOST (unix://…), else runtime.socket. */
export function deriveBuildSocket(runtime: DockerRuntimeConfig, dockerHost: string | undefined): string {
  if (runtime.buildSocket) return runtime.buildSocket;
  if (dockerHost?.startsWith('unix://')) return dockerHost.slice('unix://'.length);
  return runtime.socket;
}

/** Gives the registry password's secret, looked up where `release create` looks (see docs/containers.md). */
export type LoadRegistryPassword = (secretName: string) => Promise<Secret | undefined>;

/**
 * A container release: `docker build` from the app's Dockerfile, then a push to the configured registry (hosts pull
 * it by the digest the push reported) or, without one, one `docker save` archive that is uploaded to hosts lacking
 * the image. The archive is the release's artifact in both cases.
 */
export async function packageImage(options: {
  config: SlipwayConfig;
  runtime: DockerRuntimeConfig;
  projectDir: string;
  artifactsDir: string;
  version: string;
  onOutput?: (line: string) => void;
  /** The registry login's credentials (loadRegistryAuth); null for a registry without a login or none. */
  registryAuth?: RegistryCredentials | null;
}): Promise<PackedImage> {
  const { config, runtime } = options;
  const socket = deriveBuildSocket(runtime, process.env.DOCKER_HOST);
  const imageId = await buildImage({
    socket,
    contextDir: resolve(options.projectDir, config.build.path),
    dockerfile: runtime.dockerfile,
    exclude: config.build.exclude,
    app: config.app,
    version: options.version,
    onOutput: options.onOutput,
  });
  const registry = resolveRegistry(config.app, runtime.registry);
  const pushed = registry
    ? await pushToRegistry(socket, imageId, registry, options.version, options.registryAuth ?? null)
    : null;
  const saved = await saveImage(socket, imageId, options.artifactsDir);
  return {
    ...saved,
    image: {
      kind: 'docker',
      image: imageId,
      ref: pushed?.ref ?? deriveImageRef(config.app, options.version),
      pull: pushed !== null,
      socket: runtime.socket,
      memoryBytes: runtime.memory ? (parseByteSize(runtime.memory) ?? null) : null,
      cpus: runtime.cpus ?? null,
      ...(Object.keys(runtime.volumes).length > 0 ? { volumes: runtime.volumes } : {}),
      ...(pushed ? { registry: pushed.registry } : {}),
    },
  };
}

/**
 * The credentials `release create` pushes with, looked up before anything is built: null without a registry or
 * without a login; a password found nowhere stops the release at once.
 */
export async function loadRegistryAuth(
  config: Pick<SlipwayConfig, 'app' | 'runtime'>,
  loadPassword: LoadRegistryPassword | undefined,
): Promise<RegistryCredentials | null> {
  if (config.runtime.kind !== 'docker') return null;
  const registry = resolveRegistry(config.app, config.runtime.registry);
  if (!registry?.login) return null;
  const { username, passwordSecret } = registry.login;
  const password = await loadPassword?.(passwordSecret);
  if (!password) {
    throw new SlipwayError(
      `the registry password (secret ${passwordSecret}) has no value, so the release cannot be pushed to ${registry.server}; nothing was built`,
      {
        hint: `set SLIPWAY_SECRET_${passwordSecret} in the environment of "slipway release create", or give it in the secrets of the environment named by --environment (default: the first one in slipway.yml)`,
      },
    );
  }
  return { server: registry.server, username, password: password.reveal() };
}

async function pushToRegistry(
  socket: string,
  imageId: string,
  registry: ResolvedRegistry,
  version: string,
  auth: RegistryCredentials | null,
): Promise<{ ref: string; registry: NonNullable<ImageSnapshot['registry']> }> {
  const tag = deriveRegistryTag(registry, version);
  const digest = await pushImage(socket, imageId, tag, auth);
  return {
    ref: deriveRegistryDigestRef(registry, digest),
    registry: { server: registry.server, tag, digest, login: registry.login },
  };
}
