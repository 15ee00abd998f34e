import type { ServerEvent } from '../api-types.js';
import { can, type Grant } from '../auth/roles.js';

/** The environment an event is about (null: none, visible to every reader). */
export function environmentOf(event: ServerEvent): string | null {
  switch (event.kind) {
    case 'ledger':
      return event.event.environment;
    case 'step':
      return event.environment;
    case 'deployment':
      return event.deployment.environment;
    case 'job':
      return event.job.environment;
  }
}

/** Whether a principal with these grants may see an event (the same rule as the ledger listing). */
export function isEventVisible(event: ServerEvent, grants: readonly Grant[]): boolean {
  const environment = environmentOf(event);
  return can(grants, 'read', environment);
}
