import { probeEnvironment } from '../monitor/probe-environment.js';
import type { Project } from '../control-plane/open-project.js';
import { dim, yellow } from './progress-renderer.js';

/** After a deploy or rollback: one access probe, printed, and counted towards the access incident. */
export async function probeAfterDeploy(project: Project, environment: string): Promise<void> {
  const { probe } = await probeEnvironment(project, environment, async (e) => {
    await project.store.appendEvent({
      atMs: project.clock.nowMs(),
      actor: project.actor,
      app: project.config.app,
      environment,
      ...e,
    });
  });
  process.stdout.write(
    probe.ok
      ? `${dim(`access: ${probe.url} answered ${probe.status} in ${probe.latencyMs}ms`)}\n`
      : yellow(`access: ${probe.url} does not answer as expected: ${probe.error}\n`),
  );
}
