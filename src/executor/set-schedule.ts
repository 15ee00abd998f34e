import type { SetScheduleStep } from '../plan/schedule-steps.js';
import { agentOf } from './host-agent.js';
import type { StepContext, StepResult } from './step-context.js';

/** Tells a host's agent whether it runs the environment's scheduled jobs, and which jobs each release has. */
export async function setScheduleStep(step: SetScheduleStep, ctx: StepContext): Promise<StepResult> {
  const agent = await agentOf(ctx, step.host);
  const result = await agent.call('setSchedule', {
    app: step.app,
    route: step.route,
    environment: step.environment,
    runsHere: step.host === step.chosenHost,
    jobsByRelease: step.jobsByRelease,
  });
  if (step.host !== step.chosenHost) {
    return {
      detail: result.dropped ? `dropped; ${step.chosenHost} runs them` : `none; ${step.chosenHost} runs them`,
    };
  }
  return { detail: `${result.jobs} job${result.jobs === 1 ? '' : 's'} scheduled here` };
}
