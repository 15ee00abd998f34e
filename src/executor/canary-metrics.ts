import type { CanaryTripReport } from '../agent/protocol.js';
import type { Verdict } from '../analysis/index.js';

/** A failed verdict from a router's tripwire report: its reason and numbers. */
export function tripVerdict(trip: CanaryTripReport): Verdict {
  return {
    result: 'failed',
    reasons: [trip.detail],
    measurements: { ...trip.measurements },
    conditions: [{ name: `tripwire:${trip.condition}`, status: 'fail', detail: trip.detail }],
  };
}
