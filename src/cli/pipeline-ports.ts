import { findPerson, rolesOf } from '../pipeline/evaluate-approvals.js';
import type { PipelinePorts } from '../pipeline/run-pipeline.js';
import type { Project } from './project.js';

/**
 * The pipeline's ports for the CLI. The verification gate reports no results until the staging verification
 * suite is wired in here (its results then block promotion when they failed).
 */
export function createPipelinePorts(project: Project): PipelinePorts {
  const team = project.config.team;
  return {
    verificationGate: () => Promise.resolve({ status: 'none', failures: [] }),
    // Without a team in slipway.yml there are no roles to check.
    rolesOf: (person, environment) =>
      Object.keys(team).length === 0 ? null : rolesOf(team, person, environment),
    person: findPerson(team, project.actor) ?? project.actor,
  };
}
