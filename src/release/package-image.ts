import { resolve } from 'node:path';
import type { DockerRuntimeConfig } from '../config/runtime-schema.js';
import { parseByteSize } from '../config/config-values.js';
import type { SlipwayConfig } from '../config/schema.js';
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

/**
 * A container release: `docker build` from the app's Dockerfile, then either a push to the configured registry
 * (hosts pull it) or one `docker save` archive that is uploaded to hosts lacking the image. The archive is the
 * release's artifact in both cases (kept for a host whose registry is out of reach is not attempted: hosts pull).
 */
export async function packageImage(options: {
  config: SlipwayConfig;
  runtime: DockerRuntimeConfig;
  projectDir: string;
  artifactsDir: string;
  version: string;
  onOutput?: (line: string) => void;
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
  const registry = runtime.registry ?? null;
  const ref = deriveImageRef(config.app, options.version, registry);
  if (registry) await pushImage(socket, imageId, ref);
  const saved = await saveImage(socket, imageId, options.artifactsDir);
  return {
    ...saved,
    image: {
      kind: 'docker',
      image: imageId,
      ref,
      pull: registry !== null,
      socket: runtime.socket,
      memoryBytes: runtime.memory ? (parseByteSize(runtime.memory) ?? null) : null,
      cpus: runtime.cpus ?? null,
    },
  };
}
