import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { parseDockerLogFrames } from './docker-log-frames.js';
import type { LogLine } from './runtime.js';
import { redactLogLine } from './target-secrets.js';

/** The last `lines` lines of a container's stdout, then of its stderr, secrets redacted. */
export async function readContainerLogs(
  docker: Docker,
  containerId: string,
  lines: number,
  secrets: readonly string[],
): Promise<LogLine[]> {
  const raw = (await docker
    .getContainer(containerId)
    .logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown;
  const parsed = parseDockerLogFrames(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  const byStream = (stream: LogLine['stream']): LogLine[] =>
    parsed
      .filter((l) => l.stream === stream)
      .slice(-lines)
      .map((l) => redactLogLine({ stream, line: l.line }, secrets));
  return [...byStream('out'), ...byStream('err')];
}

/**
 * Follows one run of a container's logs (new lines only, or those since `sinceSeconds`) until the container
 * stops or the signal aborts.
 */
export async function followContainerLogs(
  docker: Docker,
  containerId: string,
  options: {
    sinceSeconds: number | null;
    secrets: readonly string[];
    onLine: (line: LogLine) => void;
    signal: AbortSignal;
  },
): Promise<void> {
  const { signal, secrets, onLine } = options;
  const stream = await docker.getContainer(containerId).logs({
    stdout: true,
    stderr: true,
    follow: true,
    ...(options.sinceSeconds === null ? { tail: 0 } : { since: options.sinceSeconds }),
    abortSignal: signal,
  });
  const pipe = (name: LogLine['stream']): PassThrough => {
    const pass = new PassThrough();
    let carry = '';
    pass.on('data', (chunk: Buffer) => {
      const parts = (carry + chunk.toString('utf8')).split('\n');
      carry = parts.pop() ?? '';
      for (const line of parts) onLine(redactLogLine({ stream: name, line }, secrets));
    });
    return pass;
  };
  docker.modem.demuxStream(stream, pipe('out'), pipe('err'));
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
  (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}
