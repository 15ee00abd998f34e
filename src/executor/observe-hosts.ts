import type { Host } from '../hosts/host.js';
import type { HostObservation } from '../plan/plan-deploy.js';

/** Asks every host's agent what runs there now, in parallel. */
export async function observeHosts(hosts: readonly Host[], app: string): Promise<HostObservation[]> {
  return Promise.all(
    hosts.map(async (host): Promise<HostObservation> => {
      const state = await (await host.agent()).call('state', {});
      const route = state.routes.find((r) => r.app === app);
      const targets = state.targets.filter((t) => t.app === app);
      const activeTarget = route?.active ? targets.find((t) => t.id === route.active) : undefined;
      return {
        host: host.name,
        active: activeTarget ? { targetId: activeTarget.id, release: activeTarget.release } : null,
        routed: [...(route?.split ? [route.split.canary] : []), ...(route?.draining ?? [])],
        targets: targets.map((t) => ({
          targetId: t.id,
          release: t.release,
          state: t.state,
          stopAtMs: t.stopAtMs,
          health: t.health,
        })),
      };
    }),
  );
}
