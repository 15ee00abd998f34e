/**
 * Something that watches a deployment while its stages run and may fail it (a canary analysis, `slipway
 * abort`). The executor starts it first, tells it each stage, and stops it when the plan's stages end.
 */
export interface Guard {
  start(fail: (reason: string) => void): void;
  onStage(name: string): void;
  stop(): Promise<void>;
}
