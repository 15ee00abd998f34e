import type { RouteSelector } from '../config/config-values-front-door.js';
import type { Host } from './host.js';
import { AgentNotRunningError } from './ssh-errors.js';
import type { HostObservation } from '../plan/plan-deploy.js';

/**
 * Asks every host's agent what runs there now, in parallel. With `startAgents: false` (a plan that is only shown)
 * a host whose agent is not running is observed as running nothing, marked `agentRunning: false`.
 */
export async function observeHosts(
  hosts: readonly Host[],
  app: string,
  options: {
    startAgents?: boolean;
    /**
     * The environment's route and targets (`routeSelectorOf`): required, as an environment with `domains` has its
     * own route key and target ids (`<app>@<environment>`, `<app>_<environment>-…`) that the app's name misses.
     */
    route: RouteSelector;
  },
): Promise<HostObservation[]> {
  const start = options.startAgents ?? true;
  return Promise.all(
    hosts.map(async (host): Promise<HostObservation> => {
      const agent = await host.agent({ start }).catch((err: unknown) => {
        if (start || !(err instanceof AgentNotRunningError)) throw err;
        return null;
      });
      if (agent === null)
        return { host: host.name, active: null, routed: [], targets: [], agentRunning: false };
      const state = await agent.call('state', {});
      const selector = options.route;
      const before = selector.before;
      // The environment's route; or the one it had before it gained (or dropped) domains, on the same port.
      let route = state.routes.find((r) => r.app === selector.key);
      let prefixes = [selector.targetPrefix];
      let routeKeyChanged = false;
      if (route === undefined && before !== undefined) {
        route = state.routes.find((r) => r.app === before.key && r.publicPort === before.publicPort);
        if (route !== undefined) prefixes = [selector.targetPrefix, before.targetPrefix];
        routeKeyChanged = route !== undefined;
      }
      // Targets of the app's other environments on this host (ids `<app>_<environment>-…`) are not this one's.
      const own = (id: string, prefix: string) =>
        prefix === app ? !id.startsWith(`${app}_`) : id.startsWith(`${prefix}-`);
      const targets = state.targets.filter((t) => t.app === app && prefixes.some((p) => own(t.id, p)));
      const activeTarget = route?.active ? targets.find((t) => t.id === route.active) : undefined;
      return {
        host: host.name,
        active: activeTarget ? { targetId: activeTarget.id, release: activeTarget.release } : null,
        routed: [...(route?.split ? [route.split.canary] : []), ...(route?.draining ?? [])],
        ...(routeKeyChanged ? { routeKeyChanged: true as const } : {}),
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
