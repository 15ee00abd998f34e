import { formatDurationMs } from '../core/duration.js';
import type { EdgeMemberView, EdgeStatusView } from '../operations/derive-edge-status.js';
import { bold, dim, green, red, yellow } from './progress-renderer.js';

/**
 * The edge's part of `slipway status`: where it listens, then one line per app host with its state (in rotation,
 * ejected since when and why, disabled) and what it has in flight. Pure (colours only on a terminal).
 */
export function formatEdgeStatus(edge: EdgeStatusView, nowMs: number): string[] {
  const head = `  ${bold('edge')} ${dim(`on ${edge.host}, ${edge.bindAddress}:${edge.publicPort}`)}`;
  if (edge.error !== null) return [`${head}  ${red(edge.error)}`];
  const lines = [`${head}  ${edge.inRotation} of ${edge.members.length} hosts in rotation`];
  for (const m of edge.members) lines.push(`    ${formatEdgeMember(m, nowMs)}`);
  return lines;
}

export function formatEdgeMember(m: EdgeMemberView, nowMs: number): string {
  const ago = m.sinceMs === null ? '' : ` ${formatDurationMs(Math.max(0, nowMs - m.sinceMs))} ago`;
  const state =
    m.state === 'in-rotation'
      ? green('in rotation')
      : m.state === 'ejected'
        ? red(`ejected${ago}`)
        : yellow(`disabled${ago}`);
  const bound = m.answerTimeoutMs === null ? '' : `, answer bound ${formatDurationMs(m.answerTimeoutMs)}`;
  const why = m.why === null ? '' : `: ${m.why}`;
  return `${bold(m.id)} ${dim(`${m.address}:${m.port}`)}  ${state}${why}  ${dim(`in flight ${m.inFlight}${bound}`)}`;
}
