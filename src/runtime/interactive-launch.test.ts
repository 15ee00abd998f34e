import { describe, expect, it } from 'vitest';
import { deriveInteractiveLaunch } from './interactive-launch.js';

const base = {
  app: 'shop',
  release: '1.2.0',
  argv: ['bin/console'],
  env: { TOKEN: 's3cret', A: '1' },
  tty: true,
};

describe('deriveInteractiveLaunch', () => {
  it('runs a process release in its release directory, as given', () => {
    expect(deriveInteractiveLaunch(base)).toEqual({
      argv: ['bin/console'],
      env: { TOKEN: 's3cret', A: '1' },
      tty: true,
      inRelease: { app: 'shop', release: '1.2.0' },
    });
  });

  it('runs a container release through docker run, values handed over by name only', () => {
    const launch = deriveInteractiveLaunch({
      ...base,
      tty: false,
      container: {
        image: 'sha256:abc',
        socket: '/run/docker.sock',
        environment: 'production',
        memoryBytes: 268435456,
        cpus: 0.5,
        volumes: { storage: '/app/storage' },
      },
    });
    expect(launch.argv).toEqual([
      'docker',
      '-H',
      'unix:///run/docker.sock',
      'run',
      '--rm',
      '-i',
      '--init',
      '--label',
      'dev.slipway.app=shop',
      '--label',
      'dev.slipway.release=1.2.0',
      '--label',
      'dev.slipway.environment=production',
      '--label',
      'dev.slipway.run=true',
      '--mount',
      'type=volume,src=slipway_shop_production_storage,dst=/app/storage',
      '--memory',
      '268435456',
      '--cpus',
      '0.5',
      '-e',
      'TOKEN',
      '-e',
      'A',
      'sha256:abc',
      'bin/console',
    ]);
    expect(launch.argv.join(' ')).not.toContain('s3cret');
    expect(launch.inRelease).toBeUndefined();
  });

  it('asks docker for a terminal with -t', () => {
    const launch = deriveInteractiveLaunch({
      ...base,
      container: { image: 'sha256:abc', socket: '/s', environment: 'p', memoryBytes: null, cpus: null },
    });
    expect(launch.argv.slice(0, 7)).toEqual(['docker', '-H', 'unix:///s', 'run', '--rm', '-i', '-t']);
  });
});
