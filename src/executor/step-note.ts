/**
 * What a waiting step says it waits for (e.g. the promotion gate: the verdict, and that it needs a promote).
 * The executor records it in the step's output while the step runs; status, the server's step views and its
 * live events read it back from there.
 */
export function formatStepNoteOutput(detail: string): { waiting: string } {
  return { waiting: detail };
}

/** The note a running step recorded, or null. */
export function deriveStepNote(output: unknown): string | null {
  const waiting =
    typeof output === 'object' && output !== null && 'waiting' in output ? output.waiting : null;
  return typeof waiting === 'string' ? waiting : null;
}
