import type { AgentClient } from '../agent/agent-client.js';
import type { ImageSpec } from '../agent/protocol.js';
import type { Secret } from '../core/secret.js';
import type { Host } from '../hosts/host.js';
import type { StepOf } from '../plan/steps.js';
import { registryCredentialsOf } from './registry-check.js';
import type { StepResult } from './step-context.js';

/**
 * A container release on a host: nothing to do when its engine has the image; otherwise pulled from the registry
 * (by digest, with the login's password sent for this pull only), or the `docker save` archive is uploaded (once
 * per host, like an artifact) and loaded by the agent.
 */
export async function installImage(
  step: StepOf<'install-release'>,
  image: ImageSpec,
  host: Host,
  agent: AgentClient,
  secrets: ReadonlyMap<string, Secret>,
): Promise<StepResult> {
  const { present } = await agent.call('hasImage', { socket: image.socket, id: image.id });
  if (present) return { detail: 'image already on host', output: { image: image.id } };
  const artifactPath = image.pull ? '' : await host.putArtifact(step.artifact, step.sha256);
  const registryAuth = image.pull ? registryCredentialsOf(image.login, secrets) : undefined;
  await agent.call('installRelease', {
    app: step.app,
    version: step.release,
    artifactPath,
    sha256: step.sha256,
    image,
    ...(registryAuth ? { registryAuth } : {}),
  });
  return {
    detail: image.pull ? `pulled ${image.ref}` : 'image uploaded and loaded',
    output: { image: image.id },
  };
}
