import { environmentConfig, environmentRoute } from '../config/environment-config.js';
import { InputError, SlipwayError } from '../core/errors.js';
import { decideRotation } from '../core/secret-rotation.js';
import type { Project } from '../control-plane/open-project.js';
import { appendDeploymentEvent } from '../executor/deployment-event.js';
import { requireRelease } from '../executor/prepare-plan.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { observeHosts } from '../hosts/observe-hosts.js';
import type { Outcome } from '../pipeline/run-pipeline.js';
import { deriveReleaseRuntime } from '../release/release-snapshot.js';
import { deployThroughGates, type OperationHooks } from './deploy.js';
import { diffSecrets } from './diff-secrets.js';

export const SECRETS_ROTATED = 'secrets.rotated';

export interface RotateRequest {
  environment: string;
  /** The secrets to rotate; empty: every one that changed. */
  names: string[];
  force: boolean;
  overrideFreeze: { reason: string | undefined } | null;
  reason?: string;
}

export type RotationResult =
  | { kind: 'nothing'; message: string }
  | { kind: 'rotated'; release: string; secrets: string[]; outcomes: Outcome[] };

/**
 * `slipway secrets rotate <env> [NAME…]`: the release that serves on every host of the environment is deployed
 * again through the environment's gates and strategy (blue/green: new targets with the values the sources give
 * now, health-checked, switched; a canary compares them with the targets from before), and is not promoted.
 * What is rotated is decided first from the keyed fingerprints (`decideRotation`); a finished rotation is
 * ledgered as `secrets.rotated`.
 */
export async function rotateSecrets(
  project: Project,
  request: RotateRequest,
  hooks: OperationHooks,
): Promise<RotationResult> {
  const { environment } = request;
  const env = environmentConfig(project.config, environment);
  const release = await servingRelease(project, environment);
  const record = await requireRelease(project, release);
  const releaseSecrets = deriveReleaseRuntime(record, environment).secretNames;
  const diff = await diffSecrets(project, environment, releaseSecrets);
  const decision = decideRotation({
    environment,
    release,
    releaseSecrets,
    diff: diff.secrets,
    asked: request.names,
    force: request.force,
  });
  if (decision.kind === 'refuse') throw new InputError(decision.message, { hint: decision.hint });
  if (decision.kind === 'nothing') return decision;
  const outcomes = await deployThroughGates(
    project,
    {
      environment,
      version: release,
      notBeforeMs: null,
      overrideFreeze: request.overrideFreeze,
      reason: request.reason ?? `rotates ${decision.secrets.join(', ')}`,
      rotation: { secrets: decision.secrets },
    },
    hooks,
  );
  const [first] = outcomes;
  if (first?.result.outcome === 'succeeded') {
    await appendDeploymentEvent(project, first.plan, {
      kind: SECRETS_ROTATED,
      message: `${decision.secrets.join(', ')} rotated in ${environment}: ${release} runs with the new value${decision.secrets.length > 1 ? 's' : ''} (${first.plan.strategy}${env.hosts.length > 1 ? `, ${env.hosts.length} hosts` : ''})`,
      data: { secrets: decision.secrets, strategy: first.plan.strategy },
    });
  }
  return { kind: 'rotated', release, secrets: decision.secrets, outcomes };
}

/** The one release every host of the environment serves; anything else is refused (a rotation keeps the release). */
async function servingRelease(project: Project, environment: string): Promise<string> {
  const route = environmentRoute(project.config, environment);
  const observed = await observeHosts(hostsOf(project, environment), project.config.app, { route });
  const releases = new Set(observed.map((o) => o.active?.release ?? null));
  const [only] = releases;
  if (releases.size === 1 && typeof only === 'string') return only;
  const serving = observed.map((o) => `${o.host}: ${o.active?.release ?? 'nothing'}`).join(', ');
  if (releases.size === 1) {
    throw new SlipwayError(`nothing serves in ${environment}; there is nothing to rotate`, {
      hint: `deploy a release first ("slipway deploy ${environment}"); a deploy reads the secrets' values as they are`,
    });
  }
  throw new SlipwayError(
    `the hosts of ${environment} serve different releases (${serving}); a rotation starts the one release that serves again`,
    {
      hint: `finish the rollout ("slipway deploy ${environment} --resume") or roll back first; "slipway status ${environment}" shows each host`,
    },
  );
}
