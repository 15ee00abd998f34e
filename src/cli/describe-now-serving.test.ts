import { describe, expect, it } from 'vitest';
import type { ServingHost } from '../operations/deploy.js';
import { describeNowServing } from './describe-now-serving.js';

describe('describeNowServing', () => {
  const table: Array<[string, string | null, ServingHost[] | undefined, string | null]> = [
    ['a new deploy: the plan knows', '1.0.0', undefined, '1.0.0'],
    ['a first deploy', null, undefined, null],
    // The resumed plan was made while 1.0.0 served; its switch happened before the interruption.
    [
      'a resume after the switch: what the router serves',
      '1.0.0',
      [{ host: 'local', release: '2.0.0' }],
      '2.0.0',
    ],
    ['a resume before the switch', '1.0.0', [{ host: 'local', release: '1.0.0' }], '1.0.0'],
    ['a resume where nothing serves', '1.0.0', [{ host: 'local', release: null }], null],
    [
      'a rolling update stopped halfway',
      '1.0.0',
      [
        { host: 'web1', release: '2.0.0' },
        { host: 'web2', release: '1.0.0' },
        { host: 'web3', release: null },
      ],
      '2.0.0 on web1, 1.0.0 on web2, nothing on web3',
    ],
    ['a resume whose routers did not answer: nothing is guessed', '1.0.0', [], null],
  ];
  it.each(table)('%s', (_name, previous, serving, expected) => {
    expect(describeNowServing(previous, serving)).toBe(expected);
  });
});
