import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.js';
import {
  DEMO_PORT_ENV,
  demoProjectDir,
  describeDemoPath,
  describeOtherDemoPort,
  parseDemoPort,
} from './demo.js';

// The demo's port: `slipway demo --port N`, else SLIPWAY_DEMO_PORT (`SLIPWAY_DEMO_PORT=N npm start`), else the
// example's own 8420; and the message that names a busy port says how to choose another.

describe('the demo port', () => {
  it.each<[string, string | undefined, string | undefined, number | null]>([
    ['none given: the example’s own', undefined, undefined, null],
    ['an empty variable counts as none', undefined, '', null],
    ['from the environment', undefined, '9000', 9000],
    ['--port wins over the environment', '9100', '9000', 9100],
  ])('%s', (_name, option, env, port) => {
    expect(parseDemoPort(option, env)).toBe(port);
  });

  it.each([
    ['--port', 'abc', undefined],
    ['--port', '70000', undefined],
    ['--port', '0', undefined],
    [DEMO_PORT_ENV, undefined, '8o80'],
  ])('refuses what is not a port, naming where it came from (%s)', (source, option, env) => {
    const attempt = (): number | null => parseDemoPort(option, env);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(`${source} "${option ?? env ?? ''}" is not a port`);
  });

  it('says, when a port is busy, how to run the demo on another', () => {
    expect(describeOtherDemoPort(8420)).toBe(
      'run the demo on another port: slipway demo --port 8421 (npm start -- --port 8421, or set SLIPWAY_DEMO_PORT=8421)',
    );
    expect(describeOtherDemoPort(65535)).toContain('--port 65534');
  });
});

// Where the demo keeps its copy of the example: the user's own state directory, never the package's (read-only
// once installed globally).
describe('the demo directory', () => {
  it.each<[string, number | null, Record<string, string>, string]>([
    ['the example’s port: ~/.local/state/slipway/demo', null, {}, '/home/ann/.local/state/slipway/demo'],
    [
      'another port: a project of its own beside it',
      8421,
      {},
      '/home/ann/.local/state/slipway/demo-port-8421',
    ],
    ['under XDG_STATE_HOME when it is set', null, { XDG_STATE_HOME: '/var/ann' }, '/var/ann/slipway/demo'],
    [
      'a relative XDG_STATE_HOME is ignored (the XDG spec)',
      null,
      { XDG_STATE_HOME: 'state' },
      '/home/ann/.local/state/slipway/demo',
    ],
    ['an empty one too', 9000, { XDG_STATE_HOME: '' }, '/home/ann/.local/state/slipway/demo-port-9000'],
  ])('%s', (_name, port, env, dir) => {
    expect(demoProjectDir(port, env, '/home/ann')).toBe(dir);
  });

  it('is shown as it is typed: ~ for the home directory, else absolute', () => {
    expect(describeDemoPath('/home/ann/.local/state/slipway/demo', '/home/ann')).toBe(
      '~/.local/state/slipway/demo',
    );
    expect(describeDemoPath('/home/anna/demo', '/home/ann')).toBe('/home/anna/demo');
    expect(describeDemoPath('/var/ann/slipway/demo', '/home/ann')).toBe('/var/ann/slipway/demo');
  });
});
