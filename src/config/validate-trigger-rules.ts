import type { PathIssue } from './path-issue.js';
import type { SlipwayConfig } from './schema.js';

/** Names in `watch` and `notifications` that must be environments of this file. */
export function validateTriggerRules(config: SlipwayConfig): PathIssue[] {
  const names = Object.keys(config.environments);
  const unknown = (name: string): string =>
    `no environment named "${name}" (environments: ${names.join(', ')})`;
  const issues: PathIssue[] = [];
  const watched = config.watch.environment;
  if (watched !== undefined && !names.includes(watched)) {
    issues.push({ path: ['watch', 'environment'], at: 'value', message: unknown(watched) });
  }
  config.notifications.channels.forEach((channel, i) =>
    channel.environments?.forEach((name, j) => {
      if (!names.includes(name)) {
        issues.push({
          path: ['notifications', 'channels', i, 'environments', j],
          at: 'value',
          message: unknown(name),
        });
      }
    }),
  );
  return issues;
}
