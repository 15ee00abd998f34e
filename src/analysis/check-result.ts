import type { z } from 'zod';
import type { analysisSchema } from '../config/canary-schema.js';

/** One further check of the canary, as configured (`analysis.checks` in slipway.yml, defaults applied). */
export type CheckSpec = z.output<typeof analysisSchema>['checks'][number];
export type CheckKind = CheckSpec['kind'];
export type CheckSpecOf<K extends CheckKind> = Extract<CheckSpec, { kind: K }>;

export type ConditionStatus = 'pass' | 'fail' | 'inconclusive';

/** What a provider found. Providers never throw: a check that cannot run is inconclusive, with the reason. */
export interface CheckResult {
  name: string;
  status: ConditionStatus;
  detail: string;
  /** The measured number (a query's value, an HTTP status, an exit code), when there is one. */
  value?: number;
}

/** What the checks may refer to: `{{release}}`, `{{stable}}`, `{{canary}}` in templates, CANARY_URL for commands. */
export interface CheckVars {
  /** The canary's release version. */
  release: string;
  /** The stable release version; null on a first deploy. */
  stable: string | null;
  /** Base URL of a router that serves the canary (send canaryHeaders to reach it), e.g. http://10.0.0.11:8420; `{{canary}}` is its host:port. */
  canaryUrl: string;
  /**
   * Headers HTTP checks send, for a `canaryUrl` that goes through the router (e.g. the canary header set to
   * `always`) rather than straight to the canary target.
   */
  canaryHeaders?: Record<string, string>;
}
