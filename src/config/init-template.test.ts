import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { deriveAppName, renderInitTemplate } from './init-template.js';
import { parseConfig } from './parse-config.js';
import { configSchema } from './schema.js';

describe('renderInitTemplate', () => {
  const text = renderInitTemplate({ app: 'shop', port: 8080 });

  it('parses cleanly, with the given app name and port', () => {
    const result = parseConfig(text, 'slipway.yml');
    expect('issues' in result ? result.issues : []).toEqual([]);
    if ('issues' in result) return;
    expect(result.config.app).toBe('shop');
    expect(result.config.environments.production?.publicPort).toBe(8080);
  });

  it('writes out exactly the defaults, so that it documents what leaving a key out means', () => {
    const result = parseConfig(text, 'slipway.yml');
    const defaultsOnly = configSchema.parse({
      app: 'shop',
      run: { command: 'npm start' },
      environments: { production: { publicPort: 8080 } },
    });
    expect('config' in result && result.config).toEqual(defaultsOnly);
  });

  it('explains every top-level section in a comment above it', () => {
    const doc = parseDocument(text);
    const keys = Object.keys(configSchema.shape);
    expect(Object.keys(doc.toJS() as object)).toEqual(keys);
    for (const key of keys) {
      const above = text.split(`\n${key}:`)[0]?.split('\n').at(-1) ?? '';
      expect(above.startsWith('#'), `comment above ${key}`).toBe(true);
    }
  });

  it('quotes an app name that YAML would otherwise read as another type', () => {
    const result = parseConfig(renderInitTemplate({ app: '1234', port: 3000 }), 'slipway.yml');
    expect('config' in result && result.config.app).toBe('1234');
  });

  it('shows both secret sources of an environment, commented out', () => {
    expect(text).toContain(
      '    # secretSources:\n    #   DATABASE_URL:\n    #     command: ["op", "read", "op://Production/shop-db/url"]\n',
    );
    expect(text).toContain('    # encryptedSecrets:\n    #   path: secrets/production.env.age\n');
  });

  it('sets production up with an encrypted file when given its recipients', () => {
    const recipient = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
    const result = parseConfig(
      renderInitTemplate({ app: 'shop', port: 8080, encryptedSecrets: { recipients: [recipient] } }),
      'slipway.yml',
    );
    expect('issues' in result ? result.issues : []).toEqual([]);
    expect('config' in result && result.config.environments.production?.encryptedSecrets).toEqual({
      path: 'secrets/production.env.age',
      recipients: [recipient],
    });
  });

  it('suggests a staging port that is valid even at the top of the range', () => {
    expect(renderInitTemplate({ app: 'a', port: 65535 })).toContain('#   publicPort: 65534');
  });
});

describe('deriveAppName', () => {
  it.each([
    ['shop', 'shop'],
    ['My Shop_2', 'my-shop-2'],
    ['--Api.Server--', 'api-server'],
    ['日本', 'app'],
    ['a'.repeat(80), 'a'.repeat(63)],
  ])('%s → %s', (dir, name) => {
    expect(deriveAppName(dir)).toBe(name);
    expect(configSchema.shape.app.safeParse(deriveAppName(dir)).success).toBe(true);
  });
});
