import { afterEach, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../executor/progress.js';
import type { Step } from '../plan/steps.js';
import { createProgressRenderer, PlainProgressRenderer, TtyProgressRenderer } from './progress-renderer.js';

/**
 * A fake terminal of `columns` columns: it wraps long lines as a terminal does, and understands the two
 * sequences the renderer redraws with (ESC[nF: up n lines to their start; ESC[J: clear to the end).
 */
function fakeTerminal(columns: number, isTTY = true) {
  const screen: string[] = [];
  let raw = '';
  const stream = {
    isTTY,
    columns,
    write(chunk: string): boolean {
      raw += chunk;
      const text = chunk.replace(/\x1b\[\d+m/g, '');
      const redraw = /^\x1b\[(\d+)F\x1b\[J/.exec(text);
      if (redraw) screen.splice(Math.max(0, screen.length - Number(redraw[1])));
      const body = redraw ? text.slice(redraw[0].length) : text;
      for (const line of body.split('\n').slice(0, -1)) {
        const chars = [...line];
        do screen.push(chars.splice(0, columns > 0 ? columns : chars.length).join(''));
        while (chars.length > 0);
      }
      return true;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream, screen, raw: () => raw };
}

const install = (release: string): Step => ({
  kind: 'install-release',
  host: 'local',
  app: 'hello',
  release,
  sha256: 'a'.repeat(64),
  artifact: `/state/artifacts/${release}.tar.gz`,
});
const switchTo = (release: string): Step => ({
  kind: 'switch-traffic',
  host: 'local',
  app: 'hello',
  targetId: `hello-${release}-abc123`,
  release,
  drainTimeoutMs: 5000,
});
const prune: Step = { kind: 'prune-releases', host: 'local', app: 'hello', keep: 5 };

/** A deploy whose switch fails, then the recovery stage with a skipped step. */
function failedDeploy(release: string, detail: string): ProgressEvent[] {
  return [
    { kind: 'stage-started', stage: 'prepare', phase: 'deploy' },
    { kind: 'step-started', index: 0, step: install(release) },
    { kind: 'step-succeeded', index: 0, step: install(release), durationMs: 1234, detail },
    { kind: 'stage-started', stage: 'switch', phase: 'deploy' },
    { kind: 'step-started', index: 1, step: switchTo(release) },
    {
      kind: 'step-failed',
      index: 1,
      step: switchTo(release),
      durationMs: 45,
      error: 'router refused\nstack…',
    },
    { kind: 'stage-started', stage: 'clean up', phase: 'on-failure' },
    { kind: 'step-skipped', index: 2, step: prune, reason: 'nothing was installed' },
    { kind: 'finished', outcome: 'failed', durationMs: 1400, error: 'router refused' },
  ];
}

describe('TtyProgressRenderer', () => {
  let renderer: TtyProgressRenderer | undefined;
  afterEach(() => renderer?.report({ kind: 'finished', outcome: 'succeeded', durationMs: 0 }));

  it('shows each stage with its steps, their states, timings and details', () => {
    const term = fakeTerminal(100);
    renderer = new TtyProgressRenderer(term.stream);
    for (const event of failedDeploy('1.0.0', 'unpacked')) renderer.report(event);
    expect(term.screen).toEqual([
      '── prepare',
      '  ✔ install 1.0.0 on local   1.2s  unpacked',
      '── switch',
      '  ✖ switch traffic to 1.0.0 on local   45ms  router refused',
      '── clean up (recovering)',
      '  ↷ prune releases (keep 5) on local    0ms  nothing was installed',
    ]);
  });

  it('redraws a running step in place once it finishes', () => {
    const term = fakeTerminal(100);
    renderer = new TtyProgressRenderer(term.stream);
    renderer.report({ kind: 'stage-started', stage: 'prepare', phase: 'deploy' });
    renderer.report({ kind: 'step-started', index: 0, step: install('2.0.0') });
    expect(term.screen).toHaveLength(2);
    expect(term.screen[1]).toMatch(/^ {2}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] install 2\.0\.0 on local +\d+ms$/);
    renderer.report({ kind: 'step-succeeded', index: 0, step: install('2.0.0'), durationMs: 80 });
    expect(term.screen).toEqual(['── prepare', '  ✔ install 2.0.0 on local   80ms']);
    expect(term.raw()).toContain('\x1b[2F\x1b[J');
  });

  it('fits long names and details into the terminal, so that a redraw leaves no copies behind', () => {
    const term = fakeTerminal(60);
    renderer = new TtyProgressRenderer(term.stream);
    const release = `9.9.9-${'very-long-prerelease-name-'.repeat(8)}`;
    for (const event of failedDeploy(release, `unpacked ${'into a directory with a long name '.repeat(5)}`))
      renderer.report(event);
    expect(term.screen).toHaveLength(6);
    for (const line of term.screen) expect([...line].length).toBeLessThan(60);
    expect(term.screen[1]).toMatch(/^ {2}✔ install 9\.9\.9-very-long-prerelease-.*… on local {3}1\.2s$/);
    expect(term.screen[3]).toMatch(/^ {2}✖ switch traffic to 9\.9\.9-very-long.*… on local {3}45ms$/);
  });

  it('draws as before on a terminal that does not say its width', () => {
    const term = fakeTerminal(0);
    (term.stream as { columns: number | undefined }).columns = undefined;
    renderer = new TtyProgressRenderer(term.stream);
    renderer.report({ kind: 'stage-started', stage: 'prepare', phase: 'deploy' });
    renderer.report({ kind: 'step-skipped', index: 0, step: prune, reason: 'x'.repeat(200) });
    expect(term.raw()).toContain(`prune releases (keep 5) on local    0ms  ${'x'.repeat(200)}\n`);
  });
});

describe('createProgressRenderer', () => {
  it('draws a task list on a terminal and prints plain lines otherwise', () => {
    expect(createProgressRenderer(fakeTerminal(80).stream)).toBeInstanceOf(TtyProgressRenderer);
    const piped = fakeTerminal(80, false);
    const plain = createProgressRenderer(piped.stream);
    expect(plain).toBeInstanceOf(PlainProgressRenderer);
    for (const event of failedDeploy('1.0.0', 'unpacked')) plain.report(event);
    const lines = piped
      .raw()
      .replace(/\[\+\d+\.\d\ds\]/g, '[+t]')
      .split('\n');
    expect(lines).toEqual([
      '[+t] stage prepare',
      '[+t]   start   install 1.0.0 on local',
      '[+t]   ok      install 1.0.0 on local (1.2s) unpacked',
      '[+t] stage switch',
      '[+t]   start   switch traffic to 1.0.0 on local',
      '[+t]   FAILED  switch traffic to 1.0.0 on local (45ms): router refused',
      'stack…',
      '[+t] stage clean up (recovering)',
      '[+t]   skip    prune releases (keep 5) on local: nothing was installed',
      '',
    ]);
    expect(piped.raw()).not.toContain('\x1b[');
  });
});
