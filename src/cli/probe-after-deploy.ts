import { describeProbeTarget } from '../monitor/access-probe.js';
import { probeEnvironment } from '../monitor/probe-environment.js';
import type { Project } from '../control-plane/open-project.js';
import { dim, yellow } from './progress-renderer.js';

/**
 * After a deploy or rollback: one access probe, printed with what was probed (`https://shop.test:8443/ via
 * 127.0.0.1` for a front door), and counted towards the access incident.
 */
export async function probeAfterDeploy(project: Project, environment: string): Promise<void> {
  const { probe, target } = await probeEnvironment(project, environment, async (e) => {
    await project.store.appendEvent({
      atMs: project.clock.nowMs(),
      actor: project.actor,
      app: project.config.app,
      environment,
      ...e,
    });
  });
  const where = describeProbeTarget(probe);
  // A certificate refused for want of trust: say how a private CA is trusted, unless one already is.
  const hint =
    probe.error?.startsWith('certificate not accepted') && target.caFile === null
      ? ' (a private CA is trusted through verify.security.tls.ca)'
      : '';
  process.stdout.write(
    probe.ok
      ? `${dim(`access: ${where} answered ${probe.status} in ${probe.latencyMs}ms`)}\n`
      : yellow(`access: ${where} does not answer as expected: ${probe.error}${hint}\n`),
  );
}
