/** Time is a port so that pure code never calls Date.now itself. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
