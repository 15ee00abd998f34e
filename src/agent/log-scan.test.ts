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
});
