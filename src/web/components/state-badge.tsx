import { toneOf } from '../format.js';

/** A state word (step status, phase, health) in its colour; the word itself is always shown, colour is extra. */
export function StateBadge({ state, label }: { state: string; label?: string }) {
  return (
    <span class={`badge tone-${toneOf(state)}`} data-state={state}>
      {label ?? state}
    </span>
  );
}
