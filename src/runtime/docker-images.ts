import { createReadStream } from 'node:fs';
import type Docker from 'dockerode';
import { SlipwayError } from '../core/errors.js';
import type { ImageSpec, RegistryCredentials } from '../agent/image-protocol.js';
import { connectDocker, isDockerNotFound } from './docker-connect.js';
import { APP_LABEL } from './container-config.js';
import { describeRegistryError } from './registry-errors.js';

/** Does the host's engine have this image? */
export async function hasImage(socket: string, id: string): Promise<boolean> {
  const docker = await connectDocker(socket);
  try {
    await docker.getImage(id).inspect();
    return true;
  } catch (err) {
    if (isDockerNotFound(err)) return false;
    throw err;
  }
}

/**
 * Makes a release's image present on the host: nothing when it is there already, else `docker load` of the
 * uploaded archive, or a pull from the registry (by digest, logged in with `auth` for this pull only: the engine
 * gets it in X-Registry-Auth; nothing is written to disk). The image id must match what the release recorded.
 */
export async function installImage(
  image: ImageSpec,
  archivePath: string | null,
  auth?: RegistryCredentials,
): Promise<{ alreadyInstalled: boolean }> {
  if (await hasImage(image.socket, image.id)) return { alreadyInstalled: true };
  const docker = await connectDocker(image.socket);
  if (image.pull) {
    await pullImage(docker, image, auth);
  } else {
    if (!archivePath)
      throw new SlipwayError(`image ${image.id.slice(0, 19)} is not on this host and no archive was given`);
    await followProgress(docker, await docker.loadImage(createReadStream(archivePath)));
  }
  if (!(await hasImage(image.socket, image.id))) {
    throw new SlipwayError(`after loading, the host's Docker Engine has no image ${image.id.slice(0, 19)}`, {
      hint: image.pull
        ? `the registry's ${image.ref} is another image: push the release again`
        : 'the archive is damaged: create the release again',
    });
  }
  return { alreadyInstalled: false };
}

async function pullImage(docker: Docker, image: ImageSpec, auth?: RegistryCredentials): Promise<void> {
  const options = auth
    ? { authconfig: { username: auth.username, password: auth.password, serveraddress: auth.server } }
    : {};
  try {
    await followProgress(docker, await docker.pull(image.ref, options));
  } catch (err) {
    throw describeRegistryError(
      {
        doing: `pull ${image.ref}`,
        server: image.ref.split('/')[0] ?? image.ref,
        username: auth?.username ?? null,
        secrets: auth ? [auth.password] : [],
      },
      err instanceof Error ? err.message : String(err),
    );
  }
}

/**
 * Removes the app's images (labelled `dev.slipway.app` at build) beyond the `keep` newest, never one that a
 * target still uses. An image a stopped container still holds is skipped, not forced.
 */
export async function pruneImages(
  socket: string,
  app: string,
  keep: number,
  inUse: ReadonlySet<string>,
): Promise<string[]> {
  const docker = await connectDocker(socket);
  const images = await docker.listImages({ filters: { label: [`${APP_LABEL}=${app}`] } });
  images.sort((a, b) => b.Created - a.Created);
  const removed: string[] = [];
  for (const [index, image] of images.entries()) {
    if (index < keep || inUse.has(image.Id)) continue;
    try {
      await docker.getImage(image.Id).remove({ force: true });
      removed.push(
        image.RepoTags?.find((t) => t !== '<none>:<none>') ??
          image.RepoDigests?.find((d) => !d.startsWith('<none>')) ?? // pulled by digest: no tag
          image.Id.slice(0, 19),
      );
    } catch (err) {
      if (!isDockerNotFound(err)) continue; // in use by a container: leave it
    }
  }
  return removed;
}

/** Reads an engine progress stream to its end; an `error` line fails it. */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onLine?: (event: Record<string, unknown>) => void,
): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, out: Array<Record<string, unknown>>) => {
        if (err) return reject(err);
        const failed = out.find((o) => 'error' in o);
        if (failed) return reject(new SlipwayError(`Docker Engine: ${String(failed.error)}`));
        resolve(out);
      },
      (event: Record<string, unknown>) => onLine?.(event),
    );
  });
}
