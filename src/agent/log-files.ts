import { createReadStream, watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type LogStream = 'out' | 'err';

export function logFilePath(logsDir: string, targetId: string, stream: LogStream): string {
  return join(logsDir, `${targetId}.${stream}.log`);
}

/** The last `maxLines` lines of a file, reading at most `maxBytes` from its end. */
export async function readTailLines(path: string, maxLines: number, maxBytes = 64 * 1024): Promise<string[]> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (length < size) lines.shift(); // first line is probably cut
    return lines.slice(-maxLines);
  } finally {
    await handle.close();
  }
}

/**
 * Follows a growing file from its current end, calling onLine for each complete line, until the signal aborts.
 * Uses fs.watch with a slow poll as a fallback (watch events can be missed on some filesystems).
 */
export async function followLines(
  path: string,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let position = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  let carry = '';
  let reading = false;
  const readMore = async (): Promise<void> => {
    if (reading || signal.aborted) return;
    reading = true;
    try {
      const size = await stat(path).then(
        (s) => s.size,
        () => 0,
      );
      if (size < position) position = 0; // truncated
      if (size > position) {
        const chunks: Buffer[] = [];
        for await (const chunk of createReadStream(path, { start: position, end: size - 1 }))
          chunks.push(chunk as Buffer);
        position = size;
        const text = carry + Buffer.concat(chunks).toString('utf8');
        const lines = text.split('\n');
        carry = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      }
    } finally {
      reading = false;
    }
  };
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(path, () => void readMore());
  } catch {
    watcher = undefined;
  }
  const poll = setInterval(() => void readMore(), 500);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(poll);
  watcher?.close();
}
