/**
 * The release a rollback goes back to: the one that served before the current one, from the environment's
 * switch history (newest first). Pure. Returns undefined when nothing served before.
 */
export function chooseRollbackRelease(
  switchHistoryNewestFirst: readonly string[],
  current: string | null,
): string | undefined {
  const live = current ?? switchHistoryNewestFirst[0];
  return switchHistoryNewestFirst.find((release) => release !== live);
}
