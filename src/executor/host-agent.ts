import type { AgentClient } from '../agent/agent-client.js';
import { SlipwayError } from '../core/errors.js';
import type { StepContext } from './step-context.js';

/** The agent of one of the deployment's hosts (started if it is not running). */
export async function agentOf(ctx: Pick<StepContext, 'hosts'>, hostName: string): Promise<AgentClient> {
  const host = ctx.hosts.get(hostName);
  if (!host) throw new SlipwayError(`host ${hostName} is not part of this environment`);
  return host.agent();
}
