import { userInfo } from 'node:os';
import type { PipelinePorts } from '../pipeline/run-pipeline.js';
import type { Project } from './project.js';

/**
 * The pipeline's ports for the CLI. The verification gate reports no results until the staging verification
 * suite is wired in here (its results then block promotion when they failed).
 */
export function createPipelinePorts(project: Project): PipelinePorts {
  return {
    verificationGate: () => Promise.resolve({ status: 'none', failures: [] }),
    rolesOf: (person) => rolesFromTeam(project.config as unknown as { team?: unknown }, person),
    person: process.env.SLIPWAY_USER ?? osUser(),
  };
}

/** Roles of a person from a `team:` section, when the config has one. */
function rolesFromTeam(config: { team?: unknown }, person: string): string[] | null {
  if (!config.team || typeof config.team !== 'object') return null;
  const entry = (config.team as Record<string, { roles?: unknown } | undefined>)[person];
  return Array.isArray(entry?.roles) ? entry.roles.filter((r): r is string => typeof r === 'string') : [];
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
