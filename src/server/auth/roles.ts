import { ConfigError } from '../../core/errors.js';

/**
 * Who may do what on the server. A person or token holds grants: a role, over all environments (`*`) or a list.
 * Roles are not ranked except admin: an approver cannot deploy and a deployer cannot approve (separation of
 * duties), and both can read.
 */
export const ROLES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a request does: read state, change what runs (deploy, rollback, promote, abort), decide approvals, administer. */
export type Action = 'read' | 'deploy' | 'approve' | 'admin';

export interface Grant {
  role: Role;
  /** `*` for every environment, else the environments' names. */
  environments: '*' | readonly string[];
}

const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
  viewer: ['read'],
  deployer: ['read', 'deploy'],
  approver: ['read', 'approve'],
  admin: ['read', 'deploy', 'approve', 'admin'],
};

/**
 * Whether the grants allow an action. `environment` null means the action is about no single environment
 * (listing releases, the ledger of all environments): any grant with the action counts, and listings are then
 * filtered to the environments granted (see `grantedEnvironments`). `admin` actions need admin over `*`.
 */
export function can(grants: readonly Grant[], action: Action, environment: string | null): boolean {
  return grants.some((g) => {
    if (!ROLE_ACTIONS[g.role].includes(action)) return false;
    if (action === 'admin') return g.environments === '*';
    return environment === null || g.environments === '*' || g.environments.includes(environment);
  });
}

/** The environments in which `action` is allowed: '*' for all. */
export function grantedEnvironments(grants: readonly Grant[], action: Action): '*' | string[] {
  const names = new Set<string>();
  for (const g of grants) {
    if (!ROLE_ACTIONS[g.role].includes(action)) continue;
    if (g.environments === '*') return '*';
    for (const e of g.environments) names.add(e);
  }
  return [...names].sort();
}

/** The actions each role allows, for the dashboard and docs. */
export function actionsOf(role: Role): readonly Action[] {
  return ROLE_ACTIONS[role];
}

/** `deployer` (all environments) or `deployer:staging,production`. */
export function parseGrant(text: string): Grant {
  const [roleText = '', envText] = text.split(':', 2);
  const role = ROLES.find((r) => r === roleText.trim());
  if (!role) {
    throw new ConfigError([
      { path: 'role', message: `unknown role "${roleText}" (one of ${ROLES.join(', ')})` },
    ]);
  }
  if (envText === undefined || envText.trim() === '*') return { role, environments: '*' };
  const environments = envText
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (environments.length === 0) {
    throw new ConfigError([{ path: 'role', message: `"${text}" names no environment after the colon` }]);
  }
  if (role === 'admin') {
    throw new ConfigError([
      { path: 'role', message: 'admin is granted over every environment; drop the list' },
    ]);
  }
  return { role, environments };
}

export function formatGrant(grant: Grant): string {
  return grant.environments === '*' ? grant.role : `${grant.role}:${grant.environments.join(',')}`;
}
