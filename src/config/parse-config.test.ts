import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../core/errors.js';
import { DEFAULTS } from './defaults.js';
import { parseConfig } from './parse-config.js';
import type { SlipwayConfig } from './schema.js';

const FILE = 'slipway.yml';
/** One string per line, so that expected line numbers can be read off the fixture. */
const lines = (...rows: string[]): string => `${rows.join('\n')}\n`;

function configOf(text: string): SlipwayConfig {
  const result = parseConfig(text, FILE);
  if ('issues' in result)
    throw new Error(`expected a valid config, got:\n${JSON.stringify(result.issues, null, 2)}`);
  return result.config;
}

function issuesOf(text: string): ConfigIssue[] {
  const result = parseConfig(text, FILE);
  if ('config' in result) throw new Error('expected issues, got a valid config');
  return result.issues;
}

const MINIMAL_ROWS = [
  'app: shop', // 1
  'run:', // 2
  '  command: node server.js', // 3
  'environments:', // 4
  '  production:', // 5
  '    publicPort: 8080', // 6
];
const MINIMAL = lines(...MINIMAL_ROWS);

describe('parseConfig: valid files', () => {
  it('fills every default into a minimal file', () => {
    expect(configOf(MINIMAL)).toEqual({
      app: 'shop',
      build: { path: '.', exclude: [] },
      run: { command: 'node server.js', stopTimeout: DEFAULTS.stopTimeout, instances: 1 },
      healthCheck: { ...DEFAULTS.healthCheck },
      env: {},
      secrets: [],
      shared: [],
      retainReleases: DEFAULTS.retainReleases,
      environments: {
        production: {
          hosts: ['local'],
          publicPort: 8080,
          bindAddress: DEFAULTS.bindAddress,
          ssh: { connectTimeout: '10s', parallelism: 10 },
          strategy: {
            kind: 'blue-green',
            keepWarm: DEFAULTS.strategy.keepWarm,
            drainTimeout: DEFAULTS.strategy.drainTimeout,
          },
          env: {},
          secrets: [],
          secretSources: {},
          windows: [],
          freezes: [],
          freezeOverrideRoles: [...DEFAULTS.pipeline.freezeOverrideRoles],
        },
      },
      pipeline: [],
      processes: {},
      team: {},
      watch: {
        branch: DEFAULTS.watch.branch,
        interval: DEFAULTS.watch.interval,
        path: '.',
        version: DEFAULTS.watch.version,
        webhook: { ...DEFAULTS.webhook },
      },
      notifications: {
        channels: [],
        stakeholders: [],
        roles: {},
        timeout: DEFAULTS.notifications.timeout,
        retries: DEFAULTS.notifications.retries,
      },
      runtime: { kind: 'process' },
      hooks: { beforeDeploy: [], beforeSwitch: [], afterSwitch: [], afterRollback: [] },
      cron: [],
    });
  });

  it('reads a full file, keeping given values and converting env numbers and booleans to strings', () => {
    const config = configOf(
      lines(
        'app: shop',
        'build:',
        '  command: npm ci && npm run build',
        '  path: dist',
        '  exclude: [tmp, "*.map"]',
        'run:',
        '  command: node server.js',
        '  stopTimeout: 20s',
        'healthCheck:',
        '  path: /ready',
        '  interval: 500ms',
        '  timeout: 1s',
        '  healthyThreshold: 1',
        '  unhealthyThreshold: 5',
        '  startTimeout: 1m30s',
        'env:',
        '  LOG_LEVEL: info',
        '  WORKERS: 4',
        '  DEBUG: false',
        'secrets: [DATABASE_URL]',
        'retainReleases: 3',
        'environments:',
        '  staging:',
        '    publicPort: 8081',
        '    bindAddress: 127.0.0.1',
        '    strategy: { kind: recreate, drainTimeout: 5s }',
        '    env: { LOG_LEVEL: debug }',
        '  production:',
        '    hosts: [local]',
        '    publicPort: 8080',
        '    strategy:',
        '      kind: blue-green',
        '      keepWarm: 10m',
        '    secrets: [STRIPE_KEY]',
      ),
    );
    expect(config.build).toEqual({
      command: 'npm ci && npm run build',
      path: 'dist',
      exclude: ['tmp', '*.map'],
    });
    expect(config.run).toEqual({ command: 'node server.js', stopTimeout: '20s', instances: 1 });
    expect(config.healthCheck).toEqual({
      path: '/ready',
      interval: '500ms',
      timeout: '1s',
      healthyThreshold: 1,
      unhealthyThreshold: 5,
      startTimeout: '1m30s',
    });
    expect(config.env).toEqual({ LOG_LEVEL: 'info', WORKERS: '4', DEBUG: 'false' });
    expect(config.secrets).toEqual(['DATABASE_URL']);
    expect(config.retainReleases).toBe(3);
    expect(config.environments.staging?.strategy).toEqual({ kind: 'recreate', drainTimeout: '5s' });
    expect(config.environments.staging?.bindAddress).toBe('127.0.0.1');
    expect(config.environments.production?.strategy).toEqual({
      kind: 'blue-green',
      keepWarm: '10m',
      drainTimeout: '30s',
    });
    expect(config.environments.production?.secrets).toEqual(['STRIPE_KEY']);
  });

  it('accepts YAML anchors and merge keys, own keys winning over merged ones', () => {
    const config = configOf(
      lines(
        'app: shop',
        'run: { command: node server.js }',
        'environments:',
        '  staging: &base',
        '    publicPort: 8081',
        '    strategy: { kind: recreate }',
        '  production:',
        '    <<: *base',
        '    publicPort: 8080',
      ),
    );
    expect(config.environments.production?.strategy).toEqual({ kind: 'recreate', drainTimeout: '30s' });
    expect(config.environments.production?.publicPort).toBe(8080);
  });
});

describe('parseConfig: each problem with its key path and place in the file', () => {
  it('names an unknown key, points at the key, and suggests the allowed key it resembles', () => {
    const issues = issuesOf(
      lines(
        'app: shop', // 1
        'run:', // 2
        '  command: node server.js', // 3
        'environments:', // 4
        '  production:', // 5
        '    publicPort: 8080', // 6
        '    strategy:', // 7
        '      kind: blue-green', // 8
        '      keepwarm: 10m', // 9
      ),
    );
    expect(issues).toEqual([
      {
        path: 'environments.production.strategy.keepwarm',
        message: 'unknown key "keepwarm" (did you mean "keepWarm"?)',
        file: FILE,
        line: 9,
        column: 7,
      },
    ]);
  });

  it('lists the allowed keys when no allowed key is close', () => {
    const [issue] = issuesOf(`${MINIMAL}owner: team-a\n`);
    expect(issue).toMatchObject({ path: 'owner', line: 7, column: 1 });
    expect(issue?.message).toBe(
      'unknown key "owner" (allowed keys: app, build, run, healthCheck, env, secrets, shared, processes, retainReleases, environments, pipeline, team, watch, notifications, runtime, hooks, cron)',
    );
  });

  it('reports a wrong type with what was expected and what was found, at the value', () => {
    const issues = issuesOf(MINIMAL.replace('publicPort: 8080', 'publicPort: eighty'));
    expect(issues).toEqual([
      {
        path: 'environments.production.publicPort',
        message: 'expected an integer from 1 to 65535, got "eighty"',
        file: FILE,
        line: 6,
        column: 17,
      },
    ]);
  });

  it('reports a number out of range with the same wording', () => {
    const [issue] = issuesOf(MINIMAL.replace('publicPort: 8080', 'publicPort: 70000'));
    expect(issue).toMatchObject({ path: 'environments.production.publicPort', line: 6 });
    expect(issue?.message).toBe('expected an integer from 1 to 65535, got 70000');
  });

  it('reports a bad duration at environments.production.strategy.keepWarm', () => {
    const issues = issuesOf(
      lines(
        'app: shop', // 1
        'run:', // 2
        '  command: node server.js', // 3
        'environments:', // 4
        '  production:', // 5
        '    publicPort: 8080', // 6
        '    strategy:', // 7
        '      kind: blue-green', // 8
        '      keepWarm: 5 minutes', // 9
      ),
    );
    expect(issues).toEqual([
      {
        path: 'environments.production.strategy.keepWarm',
        message: 'expected a duration like "5m", "30s" or "500ms", got "5 minutes"',
        file: FILE,
        line: 9,
        column: 17,
      },
    ]);
  });

  it('gives the duration message for a duration written as a bare number too', () => {
    const [issue] = issuesOf(lines(...MINIMAL_ROWS, 'healthCheck:', '  timeout: 5'));
    expect(issue).toMatchObject({ path: 'healthCheck.timeout', line: 8, column: 12 });
    expect(issue?.message).toBe('expected a duration like "5m", "30s" or "500ms", got 5');
  });

  it('reports a missing required key at the mapping that lacks it', () => {
    const issues = issuesOf(
      lines(
        'app: shop', // 1
        'run:', // 2
        '  command: node server.js', // 3
        'environments:', // 4
        '  production:', // 5
        '    bindAddress: 127.0.0.1', // 6
      ),
    );
    expect(issues).toEqual([
      {
        path: 'environments.production',
        message: 'missing required key "publicPort"',
        file: FILE,
        line: 5,
        column: 3,
      },
    ]);
  });

  it('reports a missing top-level key at the start of the file', () => {
    const issues = issuesOf(lines('app: shop', 'environments:', '  production: { publicPort: 8080 }'));
    expect(issues).toEqual([
      { path: '', message: 'missing required key "run"', file: FILE, line: 1, column: 1 },
    ]);
  });

  it('points an empty value at its key', () => {
    const [issue] = issuesOf(MINIMAL.replace('publicPort: 8080', 'publicPort:'));
    expect(issue).toMatchObject({ path: 'environments.production.publicPort', line: 6, column: 5 });
    expect(issue?.message).toBe('expected an integer from 1 to 65535, got an empty value');
  });

  it('reports a bad strategy kind with the kinds there are', () => {
    const issues = issuesOf(
      lines(
        'app: shop', // 1
        'run:', // 2
        '  command: node server.js', // 3
        'environments:', // 4
        '  production:', // 5
        '    publicPort: 8080', // 6
        '    strategy:', // 7
        '      kind: big-bang', // 8
      ),
    );
    expect(issues).toEqual([
      {
        path: 'environments.production.strategy.kind',
        message: 'expected one of "recreate", "blue-green", "canary", "rolling", got "big-bang"',
        file: FILE,
        line: 8,
        column: 13,
      },
    ]);
  });

  it('suggests the strategy kind a misspelt one resembles', () => {
    const [issue] = issuesOf(lines(...MINIMAL_ROWS, '    strategy: { kind: bluegreen }'));
    expect(issue?.message).toBe(
      'expected one of "recreate", "blue-green", "canary", "rolling", got "bluegreen" (did you mean "blue-green"?)',
    );
  });

  it('reports a strategy without a kind at the strategy key', () => {
    const issues = issuesOf(lines(...MINIMAL_ROWS, '    strategy:', '      keepWarm: 5m'));
    expect(issues).toEqual([
      {
        path: 'environments.production.strategy',
        message: 'missing required key "kind" (one of "recreate", "blue-green", "canary", "rolling")',
        file: FILE,
        line: 7,
        column: 5,
      },
    ]);
  });

  it('rejects a key that belongs to the other strategy kind', () => {
    const [issue] = issuesOf(lines(...MINIMAL_ROWS, '    strategy: { kind: recreate, keepWarm: 5m }'));
    expect(issue).toMatchObject({ path: 'environments.production.strategy.keepWarm', line: 7, column: 33 });
    expect(issue?.message).toMatch(/^unknown key "keepWarm"/);
  });

  it('reports a bad list item and a bad record key by their own paths', () => {
    const issues = issuesOf(
      lines(
        'app: shop', // 1
        'run:', // 2
        '  command: node server.js', // 3
        'environments:', // 4
        '  production:', // 5
        '    publicPort: 8080', // 6
        '    hosts: [local, web-1]', // 7
        '    env:', // 8
        '      log-level: info', // 9
      ),
    );
    expect(issues).toEqual([
      {
        path: 'environments.production.hosts[1]',
        message: 'expected "local" or a mapping, got "web-1"',
        file: FILE,
        line: 7,
        column: 20,
      },
      {
        path: 'environments.production.env.log-level',
        message: 'invalid key "log-level": expected an environment variable name',
        file: FILE,
        line: 9,
        column: 7,
      },
    ]);
  });

  it('points at the merged-in source when the bad key came through a merge key', () => {
    const issues = issuesOf(
      lines(
        'app: shop', // 1
        'run: { command: node server.js }', // 2
        'environments:', // 3
        '  staging: &base', // 4
        '    publicPort: 8081', // 5
        '    strategy: { kind: recreate, drainTimeout: soon }', // 6
        '  production:', // 7
        '    <<: *base', // 8
        '    publicPort: 8080', // 9
      ),
    );
    expect(issues.map((i) => [i.path, i.line, i.column])).toEqual([
      ['environments.staging.strategy.drainTimeout', 6, 47],
      ['environments.production.strategy.drainTimeout', 6, 47],
    ]);
  });

  it('reports a YAML syntax error with its line and column, and nothing else', () => {
    const issues = issuesOf(
      lines(
        'app: shop', // 1
        'run:', // 2
        '  command: node server.js', // 3
        'environments:', // 4
        '  production:', // 5
        '    publicPort: 8080', // 6
        '    hosts: [local', // 7
        '    bindAddress: 0.0.0.0', // 8
      ),
    );
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ path: '', file: FILE, line: 8 });
    expect(issues.every((i) => i.message.startsWith('invalid YAML: '))).toBe(true);
  });

  it('says to quote an unquoted value holding ": " (YAML reads a nested key there), with the line to write', () => {
    const issues = issuesOf(
      lines(
        'app: shop', // 1
        'run:', // 2
        `  command: sh -c 'echo "started: $(date)"' && node server.js  # logs the start`, // 3
        'environments:', // 4
        '  production:', // 5
        '    publicPort: 8080', // 6
      ),
    );
    expect(issues).toEqual([
      {
        path: '',
        message: `invalid YAML: Nested mappings are not allowed in compact mappings (YAML reads ": " in an unquoted value as the start of another key); quote the value: command: 'sh -c ''echo "started: $(date)"'' && node server.js'`,
        file: FILE,
        line: 3,
        column: 12,
      },
    ]);
  });

  it('says to quote such a value in a list item and an env value too, and nothing more when it is not one', () => {
    const quoted = (text: string): string | undefined =>
      /quote the value: (.*)$/.exec(issuesOf(text)[0]?.message ?? '')?.[1];
    expect(quoted(lines('app: shop', 'env:', '  DATABASE_URL: postgres://x: y'))).toBe(
      "DATABASE_URL: 'postgres://x: y'",
    );
    expect(quoted(lines('app: shop', 'hooks:', '  - run: echo a: b'))).toBe("run: 'echo a: b'");
    expect(issuesOf(lines('app: shop', 'run:', '  command: [node, server.js'))[0]?.message).not.toContain(
      'quote the value',
    );
  });

  it('reports a duplicate key as a YAML error at the second one', () => {
    const issues = issuesOf(
      lines(
        'app: shop',
        'run: { command: x }',
        'app: other',
        'environments: { production: { publicPort: 1 } }',
      ),
    );
    expect(issues).toEqual([
      { path: '', message: 'invalid YAML: duplicate key "app"', file: FILE, line: 3, column: 1 },
    ]);
  });

  it('rejects a second YAML document and an unknown tag rather than reading the file differently', () => {
    expect(issuesOf(lines(...MINIMAL_ROWS, '---', 'app: other'))).toEqual([
      {
        path: '',
        message:
          'invalid YAML: the file must hold a single YAML document; remove the "---" that starts a second one',
        file: FILE,
        line: 7,
        column: 1,
      },
    ]);
    const [tagIssue] = issuesOf(MINIMAL.replace('app: shop', 'app: !secret shop'));
    expect(tagIssue).toMatchObject({ path: '', line: 1, message: 'invalid YAML: Unresolved tag: !secret' });
  });

  it('reports an alias to an undefined anchor at the alias', () => {
    expect(issuesOf(lines(...MINIMAL_ROWS, '    env: *common'))).toEqual([
      {
        path: '',
        message: 'invalid YAML: alias *common refers to no anchor &common defined above it',
        file: FILE,
        line: 7,
        column: 10,
      },
    ]);
  });

  it('gives a single clear issue for an empty file, or one with only comments', () => {
    for (const text of ['', '\n\n', '# nothing here yet\n', '---\n']) {
      expect(issuesOf(text)).toEqual([
        {
          path: '',
          message:
            'the file is empty; it needs at least "app", "run" and "environments" (run "slipway init" for a commented starter file)',
          file: FILE,
          line: 1,
          column: 1,
        },
      ]);
    }
  });

  it('rejects a file that is a list rather than a mapping', () => {
    expect(issuesOf('- app: shop\n')).toEqual([
      { path: '', message: 'expected a mapping, got a list', file: FILE, line: 1, column: 1 },
    ]);
  });

  it('reports several problems at once, in file order', () => {
    const issues = issuesOf(
      lines(
        'app: Shop', // 1
        'run:', // 2
        '  command: ""', // 3
        'retainReleases: 2.5', // 4
        'healthCheck:', // 5
        '  path: ready', // 6
        '  healthyTreshold: 2', // 7
        'environments:', // 8
        '  production:', // 9
        '    strategy: blue-green', // 10
        '  staging:', // 11
        '    publicPort: 0', // 12
      ),
    );
    expect(issues.map((i) => ({ path: i.path, line: i.line, message: i.message }))).toEqual([
      {
        path: 'app',
        line: 1,
        message: 'expected a lower-case name of letters, digits and dashes, got "Shop"',
      },
      { path: 'run.command', line: 3, message: 'must not be empty' },
      { path: 'retainReleases', line: 4, message: 'expected an integer from 1 to 100, got 2.5' },
      { path: 'healthCheck.path', line: 6, message: 'expected a string starting with "/", got "ready"' },
      {
        path: 'healthCheck.healthyTreshold',
        line: 7,
        message: 'unknown key "healthyTreshold" (did you mean "healthyThreshold"?)',
      },
      { path: 'environments.production', line: 9, message: 'missing required key "publicPort"' },
      {
        path: 'environments.production.strategy',
        line: 10,
        message:
          'expected a mapping with kind: "recreate", "blue-green", "canary" or "rolling", got "blue-green"',
      },
      {
        path: 'environments.staging.publicPort',
        line: 12,
        message: 'expected an integer from 1 to 65535, got 0',
      },
    ]);
  });

  it('requires at least one environment', () => {
    expect(issuesOf(lines('app: shop', 'run: { command: x }', 'environments: {}'))).toEqual([
      { path: 'environments', message: 'define at least one environment', file: FILE, line: 3, column: 15 },
    ]);
  });
});

describe('parseConfig: rules across keys', () => {
  it('rejects two environments with the same publicPort on the same host, at the second one', () => {
    const issues = issuesOf(
      lines(
        'app: shop', // 1
        'run: { command: x }', // 2
        'environments:', // 3
        '  staging:', // 4
        '    publicPort: 8080', // 5
        '  production:', // 6
        '    publicPort: 8080', // 7
      ),
    );
    expect(issues).toEqual([
      {
        path: 'environments.production.publicPort',
        message:
          'publicPort 8080 is also the publicPort of environment "staging" on host "local"; give each environment on a host its own port',
        file: FILE,
        line: 7,
        column: 17,
      },
    ]);
  });

  it('rejects a health check timeout longer than the start timeout, at the timeout', () => {
    const issues = issuesOf(lines(...MINIMAL_ROWS, 'healthCheck:', '  timeout: 45s'));
    expect(issues).toEqual([
      {
        path: 'healthCheck.timeout',
        message:
          'healthCheck.timeout (45s) is longer than healthCheck.startTimeout (30s); a new target could fail its start-up before a single check finishes',
        file: FILE,
        line: 8,
        column: 12,
      },
    ]);
  });

  it('rejects a secret name that is also set in env, at the env key', () => {
    const issues = issuesOf(
      lines(...MINIMAL_ROWS, '    env:', '      DATABASE_URL: postgres://x', 'secrets: [DATABASE_URL]'),
    );
    expect(issues).toEqual([
      {
        path: 'environments.production.env.DATABASE_URL',
        message:
          '"DATABASE_URL" is listed in secrets and also set in environments.production.env; a secret\'s value must not be written in slipway.yml, so remove it from one of them',
        file: FILE,
        line: 8,
        column: 7,
      },
    ]);
  });

  it('runs the rules only once the schema is satisfied', () => {
    const issues = issuesOf(lines(...MINIMAL_ROWS, 'healthCheck:', '  timeout: 45s', 'retainReleases: 0'));
    expect(issues.map((i) => i.path)).toEqual(['retainReleases']);
  });
});

describe('parseConfig: values that would only fail later are refused, each at its path', () => {
  /** One issue's path and message for MINIMAL plus `rows` (or nothing when the file is valid). */
  function problem(...rows: string[]): { path: string; message: string } | undefined {
    const result = parseConfig(lines(...MINIMAL_ROWS, ...rows), FILE);
    if ('config' in result) return undefined;
    expect(result.issues).toHaveLength(1);
    const [issue] = result.issues;
    return issue && { path: issue.path, message: issue.message };
  }
  const TIMER_MAX = 'expected at most 24d20h31m23s647ms (2^31-1 ms, the longest a timer can wait)';

  it.each([
    ['healthCheck.interval', ['healthCheck:', '  interval: 0s'], 'expected a duration above 0, got "0s"'],
    ['healthCheck.timeout', ['healthCheck:', '  timeout: 0.4ms'], 'expected a duration above 0, got "0.4ms"'],
    [
      'environments.production.ssh.connectTimeout',
      ['    ssh: { connectTimeout: 0ms }'],
      'expected a duration above 0, got "0ms"',
    ],
    ['watch.interval', ['watch: { interval: 0m }'], 'expected a duration above 0, got "0m"'],
    [
      'environments.production.strategy.keepWarm',
      ['    strategy: { kind: blue-green, keepWarm: 30d }'],
      `${TIMER_MAX}, got "30d"`,
    ],
    [
      'environments.production.strategy.keepWarm',
      ['    strategy: { kind: blue-green, keepWarm: 24d20h31m23s648ms }'],
      `${TIMER_MAX}, got "24d20h31m23s648ms"`,
    ],
    ['notifications.timeout', ['notifications: { timeout: 9999999999d }'], `${TIMER_MAX}, got "9999999999d"`],
    [
      'environments.production.monitoring.retention.tenMinutes',
      ['    monitoring: { retention: { tenMinutes: 3651d } }'],
      'expected at most 3650d, got "3651d"',
    ],
    [
      'environments.production.approvals.expiresAfter',
      ['    approvals: { required: [{ role: admin }], expiresAfter: 0s }'],
      'expected a duration above 0, got "0s"',
    ],
  ])('a duration: %s', (path, rows, message) => {
    const extra = path.startsWith('environments.production.approvals')
      ? ['team: { ada: { roles: [admin] } }']
      : [];
    expect(problem(...rows, ...extra)).toEqual({ path, message });
  });

  it.each([
    ['keepWarm 0s (stop the old target once drained)', ['    strategy: { kind: blue-green, keepWarm: 0s }']],
    ['drainTimeout 0s', ['    strategy: { kind: recreate, drainTimeout: 0s }']],
    ['pauseBetweenBatches 0s', ['    strategy: { kind: rolling, pauseBetweenBatches: 0s }']],
    ['an alert with for: 0s', ['    monitoring: { alerts: [{ name: hot, when: "cpu > 90%", for: 0s }] }']],
    ['keepWarm at the timer maximum', ['    strategy: { kind: blue-green, keepWarm: 24d20h31m23s647ms }']],
    ['retention of 10 years', ['    monitoring: { retention: { tenMinutes: 3650d } }']],
  ])('keeps a duration where it means something: %s', (_case, rows) => {
    expect(problem(...rows)).toBeUndefined();
  });

  const IP_EXPECTED = 'expected an IP address to listen on, such as "0.0.0.0", "127.0.0.1" or "::"';
  it.each([
    [
      'environments.production.bindAddress',
      ['    bindAddress: localhost'],
      `${IP_EXPECTED}, got "localhost"`,
    ],
    [
      'environments.production.bindAddress',
      ['    bindAddress: 256.0.0.1'],
      `${IP_EXPECTED}, got "256.0.0.1"`,
    ],
    [
      'environments.production.bindAddress',
      ['    bindAddress: "127.0.0.1 "'],
      `${IP_EXPECTED}, got "127.0.0.1 "`,
    ],
    [
      'environments.production.edge.bindAddress',
      ['    edge: { host: local, publicPort: 9000, bindAddress: "*" }'],
      `${IP_EXPECTED}, got "*"`,
    ],
    ['watch.webhook.bindAddress', ['watch: { webhook: { bindAddress: any } }'], `${IP_EXPECTED}, got "any"`],
    [
      'environments.production.hosts[0].address',
      ['    hosts: [{ name: web-1, address: "web 1" }]'],
      'expected an IP address or a DNS name such as "web-1.example.com", got "web 1"',
    ],
  ])('an address: %s', (path, rows, message) => {
    expect(problem(...rows)).toEqual({ path, message });
  });

  it.each([
    ['::', ['    bindAddress: "::"']],
    ['an IPv6 loopback', ['    bindAddress: "::1"']],
    ['a DNS name for an SSH host', ['    hosts: [{ name: web-1, address: web-1.internal.example.com }]']],
  ])('accepts an address: %s', (_case, rows) => {
    expect(problem(...rows)).toBeUndefined();
  });

  const NUL = 'must not contain a NUL byte ("\\0"): no command, path or environment variable can hold one';
  it.each([
    ['env.A', ['env:', '  A: "a\\0b"'], `${NUL}, got "a\\u0000b"`],
    [
      'env["A\\u0000B"]',
      ['env:', '  "A\\0B": x'],
      'invalid key "A\\u0000B": expected an environment variable name',
    ],
    [
      'env.BIG',
      ['env:', `  BIG: ${'x'.repeat(32 * 1024 + 1)}`],
      'expected at most 32768 bytes (32 KiB), got 32769 bytes',
    ],
    [
      'env.WIDE',
      ['env:', `  WIDE: ${'é'.repeat(16 * 1024 + 1)}`],
      'expected at most 32768 bytes (32 KiB), got 32770 bytes',
    ],
    [
      `env.${'N'.repeat(257)}`,
      ['env:', `  ${'N'.repeat(257)}: x`],
      `invalid key "${'N'.repeat(37)}...": expected at most 256 characters, got 257`,
    ],
    [
      'env',
      ['env:', ...Array.from({ length: 1001 }, (_, i) => `  K${i}: v`)],
      'expected at most 1000 variables, got 1001',
    ],
    [
      'environments.production.env',
      [
        ...Array.from({ length: 17 }, (_, i) => `      E${i}: ${'e'.repeat(32 * 1024)}`).map((row, i) =>
          i === 0 ? `    env:\n${row}` : row,
        ),
        'env:',
        ...Array.from({ length: 16 }, (_, i) => `  A${i}: ${'a'.repeat(32 * 1024)}`),
      ],
      "env and environments.production.env take 1081489 bytes together; a target's environment holds at most 1048576 bytes (1 MiB)",
    ],
    ['env', [`env: ${'x'.repeat(2000)}`], `expected a mapping, got "${'x'.repeat(37)}..."`],
    ['run.command', ['build: { command: "make\\0" }'], `${NUL}, got "make\\u0000"`],
  ])('env and commands: %s', (path, rows, message) => {
    const issue = problem(...rows);
    expect(issue).toEqual({ path: path === 'run.command' ? 'build.command' : path, message });
    expect(issue?.path).not.toMatch(/[\0\n]/);
  });

  it('accepts 1000 variables of 32 KiB each in the schema, up to the size of a whole environment', () => {
    expect(problem('env:', `  BIG: ${'x'.repeat(32 * 1024)}`)).toBeUndefined();
    expect(problem('env:', ...Array.from({ length: 1000 }, (_, i) => `  K${i}: v`))).toBeUndefined();
  });

  it.each([
    ['/', 'expected a path relative to the directory of slipway.yml, not an absolute one, got "/"'],
    [
      '/srv/app',
      'expected a path relative to the directory of slipway.yml, not an absolute one, got "/srv/app"',
    ],
    ['..', 'expected a path inside the directory of slipway.yml, not above it, got ".."'],
    ['../..', 'expected a path inside the directory of slipway.yml, not above it, got "../.."'],
    [
      'dist/../../shared',
      'expected a path inside the directory of slipway.yml, not above it, got "dist/../../shared"',
    ],
    ['"dist\\0"', `${NUL}, got "dist\\u0000"`],
  ])('build.path %s', (value, message) => {
    expect(problem('build:', `  path: ${value}`)).toEqual({ path: 'build.path', message });
  });

  it.each(['.', 'dist', './dist/', 'dist/../public', 'a..b'])('accepts build.path %s', (value) => {
    expect(problem('build:', `  path: ${value}`)).toBeUndefined();
  });

  it('refuses a watch.path above the repository the same way', () => {
    expect(problem('watch: { path: ../other-app }')).toEqual({
      path: 'watch.path',
      message: 'expected a path inside the repository, not above it, got "../other-app"',
    });
  });
});

describe('parseConfig: large files', () => {
  // 100 000 keys took 107 s (yaml's duplicate-key check compares each key with every earlier one, and placing
  // each issue scanned its mapping again). Nothing here measures time: a quadratic step makes the test time out.
  it('reads 100 000 env entries, and places the issue of every second one, in one pass', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `  K${i}: ${i % 2 === 1 ? '"x\\0"' : 'ok'}`);
    const result = parseConfig(lines(...MINIMAL_ROWS, 'env:', ...rows), FILE);

    if ('config' in result) throw new Error('expected issues');
    expect(result.issues).toHaveLength(50_001);
    expect(result.issues[0]).toMatchObject({
      path: 'env',
      message: 'expected at most 1000 variables, got 100000',
      line: 8,
    });
    expect(result.issues[1]).toMatchObject({ path: 'env.K1', line: 9, column: 7 });
    expect(result.issues.at(-1)).toMatchObject({ path: 'env.K99999', line: 100_007, column: 11 });
  });

  it('still finds a duplicate key among 100 000, at the later one', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `  K${i % 99_999}: v`);
    expect(issuesOf(lines(...MINIMAL_ROWS, 'env:', ...rows))).toEqual([
      { path: '', message: 'invalid YAML: duplicate key "K0"', file: FILE, line: 100_007, column: 3 },
    ]);
  });
});
