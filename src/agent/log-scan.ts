import { redact } from '../core/secret.js';
import { open } from 'node:fs/promises';
import { logFilePath, type LogStream } from './log-files.js';
import type { LogMatch } from './monitor-protocol.js';

/** At most this much of a log is read per scan; a log that grew more than that skips ahead (counted, not read). */
const MAX_SCAN_BYTES = 256 * 1024;
const MAX_MATCHES = 100;

/**
 * Reads each target's logs from the collector's offsets and returns the lines matching any pattern. A log seen
 * for the first time is scanned from its current end (old lines were reported before, or never mattered).
 */
export async function scanLogs(
  logsDir: string,
  /** `secrets`: the values the target was started with; a matching line is stored with them redacted. */
  targets: Array<{ id: string; release: string; secrets?: readonly string[] }>,
  patterns: string[],
  offsets: Record<string, number>,
): Promise<{ matches: LogMatch[]; offsets: Record<string, number> }> {
  const regexes = patterns.flatMap((p) => {
    try {
      return [{ pattern: p, re: new RegExp(p) }];
    } catch {
      return []; // validated in the config; an agent never fails a scan on a bad pattern
    }
  });
  const matches: LogMatch[] = [];
  const next: Record<string, number> = {};
  for (const t of targets) {
    for (const stream of ['out', 'err'] as LogStream[]) {
      const key = `${t.id}.${stream}`;
      const { lines, end } = await readFrom(logFilePath(logsDir, t.id, stream), offsets[key]);
      next[key] = end;
      for (const line of lines) {
        const hit = regexes.find((r) => r.re.test(line));
        if (hit && matches.length < MAX_MATCHES)
          matches.push({
            targetId: t.id,
            release: t.release,
            stream,
            // Redacted before it is cut: a cut must not leave the start of a secret behind.
            line: redact(line, t.secrets ?? []).slice(0, 500),
            pattern: hit.pattern,
          });
      }
    }
  }
  return { matches, offsets: next };
}

async function readFrom(path: string, offset: number | undefined): Promise<{ lines: string[]; end: number }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return { lines: [], end: 0 };
  }
  try {
    const { size } = await handle.stat();
    if (offset === undefined) return { lines: [], end: size };
    const start = offset > size ? 0 : Math.max(offset, size - MAX_SCAN_BYTES); // a truncated log starts over
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline < 0) return { lines: [], end: start }; // wait for the line to be finished
    const lines = text.slice(0, lastNewline).split('\n');
    // Skipped ahead: the first line is the end of a line, perhaps the end of a secret that redaction cannot
    // recognise any more; it is not scanned.
    if (start > offset) lines.shift();
    return { lines, end: start + Buffer.byteLength(text.slice(0, lastNewline + 1)) };
  } finally {
    await handle.close();
  }
}
