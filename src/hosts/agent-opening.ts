import type { AgentClient } from '../agent/agent-client.js';
import { AgentNotRunningError } from './ssh-errors.js';

/**
 * The connection to a host's agent that is being opened, shared by callers that ask at the same time (none is left
 * open). A look that may not start the agent (`starts: false`) joins any opening; a caller who may start one joins
 * an opening that may too, and goes on from a mere look that found nothing running.
 */
export class AgentOpening {
  #pending: { client: Promise<AgentClient>; starts: boolean } | null = null;

  open(starts: boolean, openAgent: (starts: boolean) => Promise<AgentClient>): Promise<AgentClient> {
    const pending = this.#pending;
    if (pending && (pending.starts || !starts)) return pending.client;
    const client = pending
      ? pending.client.catch((err: unknown) => {
          if (!(err instanceof AgentNotRunningError)) throw err;
          return openAgent(true);
        })
      : openAgent(starts);
    const opening = {
      client: client.finally(() => {
        if (this.#pending === opening) this.#pending = null;
      }),
      starts,
    };
    this.#pending = opening;
    return opening.client;
  }
}
