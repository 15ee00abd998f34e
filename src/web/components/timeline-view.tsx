import type { StepView } from '../../server/api-types.js';
import { formatDurationMs, formatTime } from '../format.js';
import { useNow } from '../hooks.js';
import { deriveTimeline, elapsedMs } from '../timeline.js';
import { StateBadge } from './state-badge.js';

/** The plan as a vertical timeline: stages in order, each step with its host, state and time taken. */
export function TimelineView({ steps }: { steps: readonly StepView[] }) {
  const now = useNow(1000);
  const stages = deriveTimeline(steps);
  if (stages.length === 0) return <p class="muted">The plan has no steps.</p>;
  return (
    <ol class="timeline">
      {stages.map((stage, n) => {
        const took = elapsedMs(stage, now);
        return (
          <li key={`${n}-${stage.name}`} class={`stage state-${stage.state}`} data-stage={stage.name}>
            <div class="stage-head">
              <span class="dot" aria-hidden="true" />
              <strong>{stage.name}</strong>
              {stage.phase === 'on-failure' && <span class="muted"> on failure</span>}
              <StateBadge state={stage.state} />
              {took !== null && <span class="muted">{formatDurationMs(took)}</span>}
            </div>
            <ul class="steps">
              {stage.steps.map((s) => {
                const stepTook = elapsedMs(s, now);
                return (
                  <li key={s.index} data-step-index={s.index} data-status={s.status}>
                    <StateBadge state={s.status} />
                    <span class="step-title">{s.title}</span>
                    <span class="muted step-host">{s.host}</span>
                    <span
                      class="muted step-time"
                      title={s.startedAtMs ? formatTime(s.startedAtMs) : undefined}
                    >
                      {stepTook === null ? '' : formatDurationMs(stepTook)}
                    </span>
                    {s.note && <div class="muted step-note">{s.note}</div>}
                    {s.error && <div class="error-text">{s.error}</div>}
                  </li>
                );
              })}
            </ul>
          </li>
        );
      })}
    </ol>
  );
}
