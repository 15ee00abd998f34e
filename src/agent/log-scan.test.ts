import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logFilePath } from './log-files.js';
import { scanLogs } from './log-scan.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('scanLogs', () => {
  it('reports new matching lines with the target secrets redacted, from where the last scan ended', async () => {
    const logs = mkdtempSync(join(tmpdir(), 'slipway-log-scan-'));
    dirs.push(logs);
    const file = logFilePath(logs, 'app-1', 'err');
    writeFileSync(file, 'ERROR before the first scan\n');
    writeFileSync(logFilePath(logs, 'app-1', 'out'), '');
    const target = { id: 'app-1', release: '1.0.0', secrets: ['s3cr3t-token'] };

    const first = await scanLogs(logs, [target], ['ERROR'], {});
    expect(first.matches).toEqual([]); // a log seen for the first time is scanned from its end

    appendFileSync(file, 'ERROR auth failed with token s3cr3t-token\nall good\n');
    const second = await scanLogs(logs, [target], ['ERROR'], first.offsets);
    expect(second.matches).toHaveLength(1);
    expect(second.matches[0]).toMatchObject({ targetId: 'app-1', stream: 'err', pattern: 'ERROR' });
    expect(second.matches[0]?.line).not.toContain('s3cr3t-token');
    expect(second.matches[0]?.line).toMatch(/^ERROR auth failed with token \S+$/);
  });

  it('redacts each line of a multi-line secret (a PEM key) that a matching line holds', async () => {
    const logs = mkdtempSync(join(tmpdir(), 'slipway-log-scan-'));
    dirs.push(logs);
    const file = logFilePath(logs, 'app-1', 'err');
    writeFileSync(file, '');
    const key =
      '-----BEGIN PRIVATE KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj\r\n-----END PRIVATE KEY-----\r\n';
    const target = { id: 'app-1', release: '1.0.0', secrets: [key] };
    const first = await scanLogs(logs, [target], ['ERROR'], {});

    appendFileSync(file, `ERROR bad key ${key.replaceAll('\r\n', ' ERROR\n')}`);
    const second = await scanLogs(logs, [target], ['ERROR'], first.offsets);
    expect(second.matches.map((m) => m.line)).toEqual([
      'ERROR bad key [redacted] ERROR',
      '[redacted] ERROR',
      '[redacted] ERROR',
    ]);
  });

  it('does not scan the cut first line when a log grew past what one scan reads', async () => {
    const logs = mkdtempSync(join(tmpdir(), 'slipway-log-scan-'));
    dirs.push(logs);
    const file = logFilePath(logs, 'app-1', 'err');
    writeFileSync(file, '');
    const secret = 'sw-scan-secret-0123456789';
    const target = { id: 'app-1', release: '1.0.0', secrets: [secret] };
    const first = await scanLogs(logs, [target], ['ERROR'], {});

    // The scan reads the last 256 KiB: the file is made so that it starts in the middle of the secret.
    const head = `token ${secret} ERROR\n`;
    const tail = 'ERROR last\n';
    const cutAt = head.indexOf(secret) + 10;
    const fillerLength = 256 * 1024 - (head.length - cutAt) - tail.length;
    const filler = `${'x'.repeat(99)}\n`.repeat(Math.ceil(fillerLength / 100)).slice(-fillerLength);
    appendFileSync(file, head + filler + tail);
    const second = await scanLogs(logs, [target], ['ERROR'], first.offsets);
    expect(second.matches.map((m) => m.line)).toEqual(['ERROR last']);
  });
});
