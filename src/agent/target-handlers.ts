import { NotFoundError } from '../core/errors.js';
import { waitUntilHealthy } from '../router/health-check.js';
import { hasImage, installImage } from '../runtime/docker-images.js';
import type { RuntimeSet } from '../runtime/runtime-set.js';
import { findFreePort } from './process-util.js';
import type { AgentMethods } from './protocol.js';
import { installReleaseDir, listReleaseDirs, releaseDirFor } from './release-dirs.js';
import type { RoutePort } from './routes/route-table.js';
import type { TargetRecord } from '../runtime/target-record.js';
import { toTargetStatus } from './supervisor.js';

// The agent's handlers that install releases and start and check targets: what they need is passed in.

type Params<M extends keyof AgentMethods> = AgentMethods[M]['params'];
type Result<M extends keyof AgentMethods> = Promise<AgentMethods[M]['result']>;

/** A release directory from an artifact, or a container image (loaded from the artifact, or pulled). */
export async function installRelease(
  releasesDir: string,
  { image, registryAuth, ...params }: Params<'installRelease'>,
): Result<'installRelease'> {
  if (!image) return installReleaseDir(releasesDir, params);
  const { alreadyInstalled } = await installImage(
    image,
    image.pull ? null : params.artifactPath,
    registryAuth,
  );
  return { app: params.app, version: params.version, sha256: params.sha256, dir: image.id, alreadyInstalled };
}

export async function hasReleaseImage({ socket, id }: Params<'hasImage'>): Result<'hasImage'> {
  return { present: await hasImage(socket, id) };
}

/** Starts a target of an installed release on a free port (or answers the one that runs under that id). */
export async function startTarget(
  deps: { runtimes: RuntimeSet; releasesDir: string; routes: RoutePort },
  spec: Params<'startTarget'>,
): Result<'startTarget'> {
  const existing = deps.runtimes.get(spec.id);
  if (existing) return { ...toTargetStatus(existing), alreadyRunning: true };
  const releaseDir = spec.container ? '' : releaseDirFor(deps.releasesDir, spec.app, spec.release);
  const installed =
    spec.container !== undefined ||
    (await listReleaseDirs(deps.releasesDir)).some((r) => r.dir === releaseDir);
  if (!installed) {
    throw new NotFoundError(`release ${spec.release} of ${spec.app} is not installed on this host`, {
      hint: 'install the release before starting a target of it',
    });
  }
  const port = spec.process ? 0 : await findFreePort(); // a worker process gets no requests
  await deps.routes.forgetTrip({ targetId: spec.id }); // a canary started anew may get traffic again
  const record = await deps.runtimes.for(spec).start(spec, releaseDir, port);
  return { ...toTargetStatus(record), alreadyRunning: false };
}

/** Waits until the target passes its health check (its health is set either way); says why not, with stderr. */
export async function waitTargetHealthy(
  runtimes: RuntimeSet,
  target: TargetRecord,
  timeoutMs: number,
): Result<'waitHealthy'> {
  const id = target.spec.id;
  const outcome = await waitUntilHealthy({
    port: target.port,
    spec: target.spec.healthCheck,
    timeoutMs,
    probeAlive: () => runtimes.owner(id).isAlive(id),
  });
  target.health = outcome.healthy ? 'healthy' : 'unhealthy';
  if (outcome.healthy) return outcome;
  const tail = await runtimes.owner(id).stderrTail(id);
  return {
    ...outcome,
    reason: tail
      ? `${outcome.reason ?? 'not healthy'}\n--- last lines of stderr ---\n${tail}`
      : outcome.reason,
  };
}
