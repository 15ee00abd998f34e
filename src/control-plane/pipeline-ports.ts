import { findPerson, rolesOf } from '../pipeline/evaluate-approvals.js';
import type { PipelinePorts } from '../pipeline/run-pipeline.js';
import { getVerificationGate } from '../verify/verification-gate.js';
import type { ControlPlane } from './control-plane.js';

/** The pipeline's ports for a control plane: the verification results in the store, and the team's roles. */
export function createPipelinePorts(cp: Pick<ControlPlane, 'config' | 'store' | 'actor'>): PipelinePorts {
  const team = cp.config.team;
  return {
    verificationGate: (query) => getVerificationGate(cp.store, query),
    // Without a team in slipway.yml there are no roles to check.
    rolesOf: (person, environment) =>
      Object.keys(team).length === 0 ? null : rolesOf(team, person, environment),
    person: findPerson(team, cp.actor) ?? cp.actor,
  };
}
