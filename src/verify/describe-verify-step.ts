import { formatDurationMs } from '../core/duration.js';
import type { VerifyStep } from '../plan/steps.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line saying what the verification will do, for `slipway plan`. Pure. */
export function describeVerifyStep(step: VerifyStep): string {
  const { suite } = step;
  const parts: string[] = [];
  if (suite.smoke.length) parts.push(`smoke: ${suite.smoke.map((r) => r.name).join(', ')}`);
  if (suite.performance) {
    const p = suite.performance;
    parts.push(
      `performance: ${p.connections} connections for ${formatDurationMs(p.durationMs)} on ${p.paths.join(', ')}, against the last passing release`,
    );
  }
  if (suite.security) {
    const s = suite.security;
    const door = s.frontDoor;
    const onDoor = door ? ` for ${door.names.join(', ')} on the front door ${door.address}:${door.port}` : '';
    const items = [
      ...(Object.keys(s.headers).length ? [`headers ${Object.keys(s.headers).join(', ')}`] : []),
      ...(s.forbiddenPaths.length ? [`not served: ${s.forbiddenPaths.join(' ')}`] : []),
      ...(s.tls ? [`TLS ≥ ${s.tls.minVersion}, certificate valid ${s.tls.minDaysValid}+ days${onDoor}`] : []),
      ...(s.allowedPorts ? [`only ports ${s.allowedPorts.join(', ')} open`] : []),
    ];
    parts.push(`security: ${items.join('; ') || 'nothing configured'}`);
  }
  if (suite.compatibility) {
    const c = suite.compatibility;
    const items = [
      ...(c.previousSmoke.length
        ? [
            `${plural(c.previousSmoke.length, 'smoke request')} of ${c.previousRelease ?? 'the previous release'}`,
          ]
        : []),
      ...c.commands.map((cmd) => `command ${cmd.name}`),
    ];
    parts.push(`compatibility: ${items.join(', ') || 'nothing to compare with'}`);
  }
  const onFailure =
    suite.onFailure === 'keep'
      ? 'on failure the new release keeps serving (blocked from promotion)'
      : 'on failure traffic goes back to the previous release';
  return `verify ${step.release} in ${step.environment} at ${suite.baseUrl} — ${parts.join(' | ') || 'no checks'}; ${onFailure}`;
}
