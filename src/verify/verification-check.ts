/** The four kinds of checks a verification runs. */
export type VerificationKind = 'smoke' | 'performance' | 'security' | 'compatibility';

export type MeasuredValue = number | string | boolean | null;

/** One check's result as stored: what was measured, whether it passed, and a line saying why. */
export interface VerificationCheck {
  name: string;
  kind: VerificationKind;
  passed: boolean;
  measured: Record<string, MeasuredValue>;
  message: string;
}

/** What a load run measured; stored with the performance check, it is the baseline for the next release. */
export interface PerformanceSample {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** 5xx answers, socket errors and timeouts over all requests. */
  errorRate: number;
}

/** A failed check as one line: `security /.env: served with 200`. */
export function describeFailure(check: VerificationCheck): string {
  return `${check.kind} ${check.name}: ${check.message}`;
}
