import { describe, expect, it } from 'vitest';
import { parseConfig } from './parse-config.js';
import { configSchema, type SlipwayConfig } from './schema.js';
import { validateConfigRules } from './validate-config-rules.js';

// `processes:` (worker processes): names, defaults, and the rules across keys.

const base = {
  app: 'shop',
  run: { command: 'node server.js' },
  environments: { production: { publicPort: 8080 } },
};
const config = (overrides: Record<string, unknown>): SlipwayConfig =>
  configSchema.parse({ ...base, ...overrides });

describe('processes', () => {
  it('fills the defaults: one instance, 10s to stop, healthy after 5s up, rolled after the switch', () => {
    expect(config({ processes: { worker: { command: 'node worker.js' } } }).processes).toEqual({
      worker: {
        command: 'node worker.js',
        instances: 1,
        stopTimeout: '10s',
        health: { settle: '5s', timeout: '30s' },
        order: 'afterSwitch',
      },
    });
  });

  it.each([
    [
      'web:\n    command: x',
      'processes.web',
      'invalid key "web": `web` is the app\'s own process (`run`); give the worker another name',
    ],
    [
      'Worker:\n    command: x',
      'processes.Worker',
      'invalid key "Worker": expected a lower-case process name (letters, digits, -)',
    ],
    ['worker:\n    command: ""', 'processes.worker.command', ''],
    ['worker:\n    command: x\n    instances: 0', 'processes.worker.instances', ''],
    ['worker:\n    command: x\n    order: whenever', 'processes.worker.order', ''],
    ['worker:\n    command: x\n    port: 8080', 'processes.worker.port', 'unknown key "port"'],
  ])('refuses %j, at its key', (yaml, path, message) => {
    const text = `app: shop\nrun:\n  command: x\nenvironments:\n  production:\n    publicPort: 8080\nprocesses:\n  ${yaml}\n`;
    const result = parseConfig(text, 'slipway.yml');
    if ('config' in result) throw new Error('expected issues');
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]?.path).toBe(path);
    expect(result.issues[0]?.line).toBeGreaterThanOrEqual(8);
    expect(result.issues[0]?.message).toContain(message);
  });

  it('refuses a check command for containers, and a role no host has, each at its key', () => {
    const docker = config({
      runtime: { kind: 'docker' },
      processes: { worker: { command: 'x', health: { command: './ready.sh' } } },
    });
    expect(validateConfigRules(docker)).toEqual([
      expect.objectContaining({ path: ['processes', 'worker', 'health', 'command'] }),
    ]);
    const roles = config({
      processes: { worker: { command: 'x', roles: ['jobs'] }, mailer: { command: 'y', roles: ['jbos'] } },
      environments: {
        production: {
          publicPort: 8080,
          hosts: [{ name: 'web-1', address: '10.0.0.1', user: 'deploy', roles: ['jobs'] }],
        },
      },
    });
    const issues = validateConfigRules(roles);
    expect(issues.map((i) => i.path)).toEqual([['processes', 'mailer', 'roles', 0]]);
    expect(issues[0]?.message).toContain('names a role no host has: jbos');
    expect(validateConfigRules(config({ processes: { worker: { command: 'x' } } }))).toEqual([]);
  });
});
