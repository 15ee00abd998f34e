import type { Step } from '../plan/steps.js';

/** What the executor tells whoever watches a deployment (terminal renderer, later the server's SSE). */
export type ProgressEvent =
  | { kind: 'stage-started'; stage: string; phase: 'deploy' | 'on-failure' }
  | { kind: 'step-started'; index: number; step: Step }
  | { kind: 'step-skipped'; index: number; step: Step; reason: string }
  /** A waiting step says what it waits for (e.g. the promotion gate: the verdict, and that it needs a promote). */
  | { kind: 'step-note'; index: number; step: Step; detail: string }
  | { kind: 'step-succeeded'; index: number; step: Step; durationMs: number; detail?: string }
  | { kind: 'step-failed'; index: number; step: Step; durationMs: number; error: string }
  | { kind: 'finished'; outcome: DeploymentOutcome | 'interrupted'; durationMs: number; error?: string };

export type DeploymentOutcome = 'succeeded' | 'failed' | 'rolled-back' | 'aborted';

export interface ProgressReporter {
  report(event: ProgressEvent): void;
}

export const silentReporter: ProgressReporter = { report: () => {} };
