import type { PathIssue } from './path-issue.js';
import type { SlipwayConfig } from './schema.js';
import { suggestClosest } from './suggest-key.js';

/** A job limited to an environment that is not there would never run: a typo, said where it is. */
export function validateCronRules(config: SlipwayConfig): PathIssue[] {
  const names = Object.keys(config.environments);
  return config.cron.flatMap((job, index) =>
    (job.environments ?? []).flatMap((environment, at) => {
      if (names.includes(environment)) return [];
      const close = suggestClosest(environment, names);
      return [
        {
          path: ['cron', index, 'environments', at],
          at: 'value' as const,
          message: `cron[${index}] (${job.name}) names an environment that is not defined: ${environment}${close ? ` (did you mean ${close}?)` : ''}`,
        },
      ];
    }),
  );
}
