import { findPerson, rolesOf } from '../pipeline/evaluate-approvals.js';
import type { PipelinePorts } from '../pipeline/run-pipeline.js';
import { getVerificationGate } from '../verify/verification-gate.js';
import type { Project } from './project.js';

/** The pipeline's ports for the CLI: the verification results in the store, and the team's roles. */
export function createPipelinePorts(project: Project): PipelinePorts {
  const team = project.config.team;
  return {
    verificationGate: (query) => getVerificationGate(project.store, query),
    // Without a team in slipway.yml there are no roles to check.
    rolesOf: (person, environment) =>
      Object.keys(team).length === 0 ? null : rolesOf(team, person, environment),
    person: findPerson(team, project.actor) ?? project.actor,
  };
}
