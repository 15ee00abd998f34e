import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProjectFiles } from './load-project-files.js';

describe('loadProjectFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-load-project-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the entries (and cmd/), reads the markers, the sources and then the files they name', async () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ main: 'src/server.js' }));
    writeFileSync(join(dir, 'notes.txt'), 'not read');
    writeFileSync(join(dir, 'big.js'), 'x'.repeat(300 * 1024));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'server.js'), 'listen(process.env.PORT)');
    mkdirSync(join(dir, 'cmd', 'api'), { recursive: true });

    const files = await loadProjectFiles(dir);
    expect(files.entries).toEqual(['big.js', 'cmd/', 'cmd/api/', 'notes.txt', 'package.json', 'src/']);
    expect(Object.keys(files.texts).sort()).toEqual(['package.json', 'src/server.js']);
    expect(files.texts['src/server.js']).toBe('listen(process.env.PORT)');
  });
});
