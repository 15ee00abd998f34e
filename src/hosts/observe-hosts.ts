import {
  findEnvironmentRoute,
  hasTargetPrefix,
  type RouteSelector,
} from '../config/config-values-front-door.js';
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
      const { route, keyChanged, targetPrefixes } = findEnvironmentRoute(state.routes, options.route);
      const targets = state.targets.filter(
        (t) => t.app === app && targetPrefixes.some((p) => hasTargetPrefix(t.id, app, p)),
      );
      const activeTarget = route?.active ? targets.find((t) => t.id === route.active) : undefined;
      return {
        host: host.name,
        active: activeTarget
          ? {
              targetId: activeTarget.id,
              release: activeTarget.release,
              ...(route?.group ? { group: route.group.map((m) => m.id) } : {}),
            }
          : null,
        routed: [...(route?.split ? [route.split.canary] : []), ...(route?.draining ?? [])],
        ...(keyChanged ? { routeKeyChanged: true as const } : {}),
        targets: targets.map((t) => ({
          targetId: t.id,
          release: t.release,
          state: t.state,
          stopAtMs: t.stopAtMs,
          health: t.health,
          ...(t.process ? { process: t.process } : {}),
        })),
      };
    }),
  );
}
