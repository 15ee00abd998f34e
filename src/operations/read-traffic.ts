import type { RouteStatus, TargetMetrics } from '../agent/protocol.js';
import { findEnvironmentRoute, type RouteSelector } from '../config/config-values-front-door.js';
import { environmentRoute } from '../config/environment-config.js';
import { hostsOf } from '../hosts/hosts-of.js';
import type { Host } from '../hosts/host.js';
import { AgentNotRunningError } from '../hosts/ssh-errors.js';
import type { TrafficTargetView, TrafficView } from '../server/api-types.js';
import type { StatusProject } from './collect-status.js';

/**
 * The routers' counters of an environment, per host and target, as the canary controller reads them (the agent's
 * `metrics`), with each target's place in the route. Counters are cumulative: a chart takes rates from successive
 * answers. An unreachable host is reported, not fatal; an agent that is not running is not started.
 */
export async function readTraffic(project: StatusProject, environment: string): Promise<TrafficView> {
  const selector = environmentRoute(project.config, environment);
  const hosts = await Promise.all(
    hostsOf(project, environment).map((host) => readHostTraffic(project, host, selector)),
  );
  return { environment, atMs: project.clock.nowMs(), hosts };
}

async function readHostTraffic(
  project: StatusProject,
  host: Host,
  selector: RouteSelector,
): Promise<TrafficView['hosts'][number]> {
  try {
    const agent = await host.agent({ start: false }).catch((err: unknown) => {
      if (err instanceof AgentNotRunningError) return null;
      throw err;
    });
    if (agent === null) return { host: host.name, error: 'agent not running', targets: [] };
    // The route under its key from before the environment gained (or dropped) domains, until a deploy re-keys it.
    const route = findEnvironmentRoute((await agent.call('state', {})).routes, selector).route;
    if (route === null) return { host: host.name, error: null, targets: [] };
    const metrics = await agent.call('metrics', { app: route.app });
    return { host: host.name, error: null, targets: metrics.targets.map((t) => toTargetView(t, route)) };
  } catch (err) {
    return { host: host.name, error: err instanceof Error ? err.message : String(err), targets: [] };
  }
}

export function toTargetView(t: TargetMetrics, route: RouteStatus | null): TrafficTargetView {
  const split = route?.split ?? null;
  const role: TrafficTargetView['role'] =
    split?.canary === t.targetId
      ? 'canary'
      : route?.active === t.targetId
        ? 'active'
        : route?.draining.includes(t.targetId)
          ? 'draining'
          : 'idle';
  const weight =
    role === 'canary' ? (split?.weight ?? 0) : role === 'active' ? 100 - (split?.weight ?? 0) : 0;
  return {
    targetId: t.targetId,
    release: t.release,
    role,
    weight,
    requests: t.requests,
    errors5xx: t.errors5xx,
    proxyErrors: t.proxyErrors,
    inFlight: t.inFlight,
    latency: { boundsMs: t.latency.boundsMs, counts: t.latency.counts, sumMs: t.latency.sumMs ?? null },
  };
}
