import type { PathIssue } from './path-issue.js';
import type { SlipwayConfig } from './schema.js';

/** The pipeline names environments that exist, each once. */
export function validatePipelineRules(config: SlipwayConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const seen = new Set<string>();
  config.pipeline.forEach((stage, index) => {
    if (!Object.hasOwn(config.environments, stage.environment)) {
      issues.push({
        path: ['pipeline', index],
        at: 'value',
        message: `pipeline names "${stage.environment}", which is not under environments (${Object.keys(config.environments).join(', ')})`,
      });
    } else if (seen.has(stage.environment)) {
      issues.push({
        path: ['pipeline', index],
        at: 'value',
        message: `"${stage.environment}" appears twice in the pipeline; a release passes each environment once`,
      });
    }
    seen.add(stage.environment);
  });
  return issues;
}
