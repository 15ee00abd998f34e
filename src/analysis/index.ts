/** Canary analysis: the pure judge and its statistics, metric windows, and the providers of further checks. */
export { deriveAnalysisWindow, type AnalysisWindow, type MetricsSnapshot } from './analysis-window.js';
export { deriveAnalysisSpec, type AnalysisConfig, type AnalysisSpec } from './analysis-spec.js';
export type {
  CheckKind,
  CheckResult,
  CheckSpec,
  CheckSpecOf,
  CheckVars,
  ConditionStatus,
} from './check-result.js';
export {
  COMPARISON_SAMPLE_FLOOR,
  judgeCanary,
  type Condition,
  type JudgeInput,
  type Verdict,
  type VerdictResult,
} from './judge.js';
export { runCommandCheck, COMMAND_OUTPUT_TAIL_LINES } from './providers/command-check.js';
export { runHttpCheck } from './providers/http-check.js';
export { runChecks } from './providers/run-checks.js';
export {
  mannWhitneyFromHistograms,
  normalCdf,
  normalQuantile,
  twoProportionTest,
  wilsonInterval,
  wilsonLowerBound,
  type Interval,
  type MannWhitneyResult,
  type TestResult,
  type TwoProportionInput,
  type WilsonOptions,
} from './stats.js';
export { deriveWindow, windowOf, type WindowStats } from './window.js';
