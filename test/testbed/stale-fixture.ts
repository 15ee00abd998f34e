import { dirname } from 'node:path';
import { createTestbed } from './testbed.js';

// Run by testbed.test.ts as a separate process that is then SIGKILLed: it creates a testbed, reports
// what it made, and waits to be killed (it cleans up after itself if nobody does within a minute).

const testbed = await createTestbed({ hosts: 1, name: 'crashed', users: ['crash'] });
const report = {
  netns: testbed.hosts.map((host) => host.netns),
  logins: testbed.users.map((user) => user.login),
  stateDir: dirname(testbed.clientKeyPath),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
setTimeout(() => {
  void testbed.destroy().finally(() => process.exit(0));
}, 60_000);
