import { routeKeyOf } from '../config/config-values-front-door.js';
import { environmentConfig } from '../config/environment-config.js';
import { UnknownNameError } from '../core/errors.js';
import type { Project } from '../control-plane/open-project.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { AgentNotRunningError } from '../hosts/ssh-errors.js';

/**
 * `slipway logs <env> --job NAME`: the last lines a scheduled job printed, from the hosts of the environment that
 * ran it (the chosen host; another one when the hosts changed). Reading starts no agent.
 */
export async function readJobLogs(
  project: Project,
  environment: string,
  request: { job: string; lines: number },
  onAgentNotRunning: (host: string) => void,
): Promise<Array<{ host: string; lines: string[] }>> {
  const env = environmentConfig(project.config, environment);
  const names = project.config.cron.map((j) => j.name);
  if (!names.includes(request.job)) {
    throw new UnknownNameError(`no scheduled job named ${request.job} in slipway.yml`, {
      hint: names.length > 0 ? `its jobs: ${names.join(', ')}` : 'scheduled jobs are listed under cron:',
    });
  }
  const route = routeKeyOf(project.config.app, environment, env);
  const found: Array<{ host: string; lines: string[] }> = [];
  for (const host of hostsOf(project, environment)) {
    const agent = await host.agent({ start: false }).catch((err: unknown) => {
      if (err instanceof AgentNotRunningError) return null;
      throw err;
    });
    if (agent === null) {
      onAgentNotRunning(host.name);
      continue;
    }
    const read = await agent.call('cronLogs', { route, job: request.job, lines: request.lines });
    if (read.found) found.push({ host: host.name, lines: read.lines });
  }
  return found;
}
