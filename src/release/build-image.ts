import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { c as createTar } from 'tar';
import { SlipwayError } from '../core/errors.js';
import { connectDocker } from '../runtime/docker-connect.js';
import { followProgress } from '../runtime/docker-images.js';
import { APP_LABEL } from '../runtime/container-config.js';
import type { RegistryCredentials } from '../agent/image-protocol.js';
import { describeRegistryError } from '../runtime/registry-errors.js';

/** Always left out of the build context, like out of an artifact. */
const ALWAYS_EXCLUDED = ['.slipway', '.git'];

export interface BuildImageOptions {
  socket: string;
  contextDir: string;
  dockerfile: string;
  exclude: readonly string[];
  app: string;
  version: string;
  onOutput?: (line: string) => void;
}

/** The local tag of a release's image. */
export function deriveImageRef(app: string, version: string): string {
  return `slipway/${app}:${version}`;
}

/**
 * `docker build` through the Engine API: the context directory (minus `.slipway`, `.git` and build.exclude) is
 * sent as a tar stream; the image is tagged `slipway/<app>:<version>` and labelled with the app, which is how
 * hosts find old images to prune. Returns the image id (`sha256:…`).
 */
export async function buildImage(options: BuildImageOptions): Promise<string> {
  const docker = await connectDocker(options.socket);
  const excluded = new Set([...ALWAYS_EXCLUDED, ...options.exclude.map((e) => e.replace(/\/+$/, ''))]);
  const context = createTar(
    {
      cwd: options.contextDir,
      portable: true,
      filter: (path) => {
        const rel = relative('.', path).split(sep).join('/');
        return !excluded.has(rel) && ![...excluded].some((e) => rel.startsWith(`${e}/`));
      },
    },
    ['.'],
  );
  let imageId: string | null = null;
  const stream = await docker
    .buildImage(context as unknown as NodeJS.ReadableStream, {
      t: deriveImageRef(options.app, options.version),
      dockerfile: options.dockerfile,
      labels: { [APP_LABEL]: options.app },
      rm: true,
      forcerm: true,
    })
    .catch((err: unknown) => {
      throw new SlipwayError(`cannot reach the Docker Engine at ${options.socket} to build the image`, {
        cause: err,
        hint: 'start Docker, or set runtime.buildSocket (or DOCKER_HOST=unix://…) to its socket',
      });
    });
  const tail: string[] = [];
  try {
    await followProgress(docker, stream, (event) => {
      const aux = event.aux as { ID?: string } | undefined;
      if (aux?.ID) imageId = aux.ID;
      const text = typeof event.stream === 'string' ? event.stream : null;
      for (const line of (text ?? '').split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onOutput?.(line);
      }
    });
  } catch (err) {
    throw new SlipwayError(
      `docker build failed: ${err instanceof Error ? err.message : String(err)}\n${tail.slice(-10).join('\n')}`,
      {
        hint: `fix ${options.dockerfile}, then run "slipway release create" again; no release was stored`,
      },
    );
  }
  if (!imageId) {
    // Older engines print "Successfully built <short id>" only: ask for the tag.
    imageId = (await docker.getImage(deriveImageRef(options.app, options.version)).inspect()).Id;
  }
  return imageId;
}

export interface SavedImage {
  sha256: string;
  path: string;
  sizeBytes: number;
}

/** `docker save` of one image into a gzipped archive named by its sha256 (the release's artifact). */
export async function saveImage(socket: string, imageId: string, artifactsDir: string): Promise<SavedImage> {
  const docker = await connectDocker(socket);
  await mkdir(artifactsDir, { recursive: true });
  const tmp = join(artifactsDir, `.tmp-image-${process.pid}-${Date.now()}.tar.gz`);
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const archive = await docker.getImage(imageId).get();
    await pipeline(archive, createGzip({ level: 1 }), hashing, createWriteStream(tmp));
    const sha256 = hash.digest('hex');
    const path = join(artifactsDir, `${sha256}.tar.gz`);
    await rename(tmp, path);
    return { sha256, path, sizeBytes: (await stat(path)).size };
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Tags the image `<server>/<repository>:<version>` and pushes it, logged in with `auth` when given (X-Registry-Auth
 * on this request only; nothing is written to the engine's config). Returns the manifest's digest (`sha256:…`)
 * that the registry reported, which the release pins.
 */
export async function pushImage(
  socket: string,
  imageId: string,
  tag: string,
  auth: RegistryCredentials | null,
): Promise<string> {
  const docker = await connectDocker(socket);
  const at = tag.lastIndexOf(':');
  await docker.getImage(imageId).tag({ repo: tag.slice(0, at), tag: tag.slice(at + 1) });
  const action = {
    doing: `push ${tag}`,
    server: tag.split('/')[0] ?? tag,
    username: auth?.username ?? null,
    secrets: auth ? [auth.password] : [],
  };
  let digest: string | null = null;
  try {
    const options = auth
      ? { authconfig: { username: auth.username, password: auth.password, serveraddress: auth.server } }
      : {};
    await followProgress(docker, await docker.getImage(tag).push(options), (event) => {
      const aux = event.aux as { Digest?: string } | undefined;
      if (aux?.Digest) digest = aux.Digest;
    });
  } catch (err) {
    throw describeRegistryError(action, err instanceof Error ? err.message : String(err));
  }
  if (digest === null) throw describeRegistryError(action, 'the engine reported no digest for the push');
  return digest;
}
