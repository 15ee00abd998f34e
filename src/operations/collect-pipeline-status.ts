import type { Plan } from '../plan/steps.js';
import type { ControlPlane } from '../control-plane/control-plane.js';

/**
 * The pipeline's part of `slipway status`: when a waiting deployment will run (from its latest
 * `deploy.scheduled` event), and the newest release marked good in the environment.
 */
export async function collectPipelineStatus(
  project: Pick<ControlPlane, 'store' | 'config'>,
  environment: string,
  running: { id: string; plan: Plan } | null,
): Promise<{ waitingUntilMs: number | null; markedGood: { version: string; atMs: number } | null }> {
  let waitingUntilMs: number | null = null;
  if (running) {
    const runningDeploymentId = running.id;
    const events = await project.store.listEvents({
      app: project.config.app,
      environment,
      kinds: ['deploy.scheduled', 'deploy.started', 'deploy.resumed'],
      limit: 20,
    });
    const scheduled = events.find(
      (e) => e.deploymentId === runningDeploymentId && e.kind === 'deploy.scheduled',
    );
    const runAtMs = (scheduled?.data as { runAtMs?: unknown } | undefined)?.runAtMs;
    const steps = await project.store.listSteps(runningDeploymentId);
    // Only while the wait step has not finished.
    const index = running.plan.stages.flatMap((st) => st.steps).findIndex((x) => x.kind === 'await-window');
    const waiting = index >= 0 && steps.find((s) => s.index === index)?.status === 'running';
    if (waiting && typeof runAtMs === 'number') waitingUntilMs = runAtMs;
  }
  const [mark] = await project.store.listReleaseMarks(project.config.app, environment);
  return { waitingUntilMs, markedGood: mark ? { version: mark.version, atMs: mark.markedAtMs } : null };
}
