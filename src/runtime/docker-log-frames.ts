import type { LogLine } from './runtime.js';

/**
 * Splits the Docker Engine's multiplexed log format (a container without a TTY) into lines. Each frame is an
 * 8-byte header — stream (1 = stdout, 2 = stderr), three zero bytes, the payload size (uint32, big endian) —
 * then the payload. Lines may span frames, so the text is joined per stream before splitting. Pure.
 */
export function parseDockerLogFrames(buffer: Buffer): LogLine[] {
  const text = { out: '', err: '' };
  const order: LogLine[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const kind = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const payload = buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
    const stream = kind === 2 ? 'err' : 'out';
    const lines = (text[stream] + payload).split('\n');
    text[stream] = lines.pop() ?? '';
    for (const line of lines) order.push({ stream, line });
  }
  for (const stream of ['out', 'err'] as const) if (text[stream]) order.push({ stream, line: text[stream] });
  return order;
}

/** Builds one frame (for tests and for replaying lines). */
export function encodeDockerLogFrame(stream: 'out' | 'err', payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream === 'err' ? 2 : 1;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
