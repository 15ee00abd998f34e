/** An error from a request or a child process, in words for a check's detail. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const cause = err.cause instanceof Error ? err.cause : null;
  const causeCode = cause ? (cause as NodeJS.ErrnoException).code : undefined;
  if (code === 'ECONNREFUSED' || causeCode === 'ECONNREFUSED') return 'connection refused';
  const text = cause && cause.message !== err.message ? `${err.message}: ${cause.message}` : err.message;
  return code && !text.includes(code) ? `${text} (${code})` : text;
}
