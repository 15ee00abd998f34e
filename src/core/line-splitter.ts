/**
 * Splits a stream of text chunks into lines (without their ends) for `onLine`. A line longer than `maxChars` is
 * passed in pieces of at most that, so output without line ends still flows; `flush` passes what is left at the end. Pure apart from
 * calling `onLine`.
 */
export function createLineSplitter(
  onLine: (line: string) => void,
  maxChars: number,
): { push(chunk: Buffer | string): void; flush(): void } {
  let pending = '';
  return {
    push(chunk) {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        for (let at = maxChars; at < line.length; at += maxChars) onLine(line.slice(at - maxChars, at));
        onLine(line.slice(Math.floor(Math.max(0, line.length - 1) / maxChars) * maxChars));
      }
      while (pending.length > maxChars) {
        onLine(pending.slice(0, maxChars));
        pending = pending.slice(maxChars);
      }
    },
    flush() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}
