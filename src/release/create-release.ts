import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import { ConflictError, InputError, SlipwayError } from '../core/errors.js';
import type { SlipwayConfig } from '../config/schema.js';
import type { ReleaseRecord, Store } from '../store/index.js';
import { packageArtifact } from './package-artifact.js';
import { loadRegistryAuth, packageImage, type LoadRegistryPassword } from './package-image.js';
import { deriveReleaseSnapshot, type ReleaseSnapshot } from './release-snapshot.js';

export interface CreateReleaseOptions {
  config: SlipwayConfig;
  /** Directory of slipway.yml: the build runs there and build.path is relative to it. */
  projectDir: string;
  stateDir: string;
  version: string;
  store: Store;
  clock: Clock;
  actor: string;
  source?: string | null;
  /** Receives the build command's output lines. */
  onBuildOutput?: (line: string) => void;
  /** Gives the registry password for the push (`runtime.registry.passwordSecret`). */
  loadRegistryPassword?: LoadRegistryPassword;
}

const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/** Builds the app, packs the output into a content-addressed artifact and stores the immutable release. */
export async function createRelease(
  options: CreateReleaseOptions,
): Promise<{ release: ReleaseRecord; created: boolean }> {
  const { config, store } = options;
  if (!VERSION_PATTERN.test(options.version)) {
    throw new InputError(`"${options.version}" is not a usable version`, {
      hint: 'use letters, digits, dots, dashes, plus or underscores, e.g. 1.2.0 or a commit id',
    });
  }
  let snapshot = deriveReleaseSnapshot(config);
  const existing = await store.getRelease(config.app, options.version);
  refuseChangedSnapshot(existing, snapshot, (c) => withoutRuntime(c));
  const registryAuth = await loadRegistryAuth(config, options.loadRegistryPassword);
  if (config.build.command) await runBuild(config.build.command, options);
  let artifact: { sha256: string; path: string; sizeBytes: number; files?: number };
  if (config.runtime.kind === 'docker') {
    const packed = await packageImage({
      config,
      runtime: config.runtime,
      projectDir: options.projectDir,
      artifactsDir: join(options.stateDir, 'artifacts'),
      version: options.version,
      onOutput: options.onBuildOutput,
      registryAuth,
    });
    snapshot = deriveReleaseSnapshot(config, packed.image);
    refuseChangedSnapshot(existing, snapshot, (c) => c);
    // `docker save` need not give the same bytes twice: the stored release (same image) stays as it is.
    if (existing) return { release: existing, created: false };
    artifact = packed;
  } else {
    refuseChangedSnapshot(existing, snapshot, (c) => c);
    artifact = await packageArtifact(
      resolve(options.projectDir, config.build.path),
      join(options.stateDir, 'artifacts'),
      config.build.exclude,
    );
  }
  const image = snapshot.runtime?.image;
  const result = await store.createRelease({
    app: config.app,
    version: options.version,
    sha256: artifact.sha256,
    artifactPath: artifact.path,
    sizeBytes: artifact.sizeBytes,
    config: snapshot,
    createdBy: options.actor,
    createdAtMs: options.clock.nowMs(),
    source: options.source ?? null,
  });
  if (result.created) {
    await store.appendEvent({
      atMs: options.clock.nowMs(),
      actor: options.actor,
      app: config.app,
      environment: null,
      kind: 'release.created',
      release: options.version,
      message: image
        ? `release ${options.version} created (image ${image.slice(0, 19)}, archive ${artifact.sha256.slice(0, 12)}, ${artifact.sizeBytes} bytes)`
        : `release ${options.version} created (${artifact.sha256.slice(0, 12)}, ${artifact.files} files, ${artifact.sizeBytes} bytes)`,
      data: {
        sha256: artifact.sha256,
        sizeBytes: artifact.sizeBytes,
        ...(artifact.files !== undefined ? { files: artifact.files } : {}),
        ...(image ? { image } : {}),
      },
    });
  }
  return result;
}

/** A release is its artifact and its config snapshot: the same version with another snapshot is refused too. */
function refuseChangedSnapshot(
  existing: ReleaseRecord | undefined,
  snapshot: ReleaseSnapshot,
  view: (snapshot: ReleaseSnapshot) => unknown,
): void {
  if (
    existing &&
    JSON.stringify(view(existing.config as ReleaseSnapshot)) !== JSON.stringify(view(snapshot))
  ) {
    throw new ConflictError(
      `release ${existing.version} of ${existing.app} already exists with another configuration (run, env, health check, secrets or image)`,
      {
        hint: 'releases are immutable: create a new version to ship the changed configuration',
      },
    );
  }
}

async function runBuild(command: string, options: CreateReleaseOptions): Promise<void> {
  const tail: string[] = [];
  const exitCode = await new Promise<number | null>((resolveExit, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.projectDir,
      env: { ...process.env, SLIPWAY_VERSION: options.version, SLIPWAY_APP: options.config.app },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onBuildOutput?.(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('close', (code) => resolveExit(code));
  });
  if (exitCode !== 0) {
    throw new SlipwayError(
      `the build command failed (exit ${exitCode ?? 'signal'}): ${command}\n${tail.slice(-10).join('\n')}`,
      {
        hint: 'fix the build, then run "slipway release create" again; no release was stored',
      },
    );
  }
}

/** A snapshot without its image: what can be compared before the image is built. */
function withoutRuntime(snapshot: ReleaseSnapshot): Omit<ReleaseSnapshot, 'runtime'> {
  const { runtime: _runtime, ...rest } = snapshot;
  return rest;
}
