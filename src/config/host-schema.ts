import { z } from 'zod';
import { hostAddressSchema } from './address-schema.js';
import { duration } from './duration-schema.js';

/** How to reach a machine over SSH (a host, or the jump host in front of hosts). */
const sshEndpoint = {
  address: hostAddressSchema.describe('IP address or DNS name.'),
  port: z.int().min(1).max(65535).default(22).describe('SSH port.'),
  user: z.string().min(1).default('root').describe('SSH user.'),
  identityFile: z
    .string()
    .optional()
    .describe(
      'Private key file (relative to slipway.yml, or ~/…). Without it the ssh-agent (SSH_AUTH_SOCK) is used.',
    ),
};

export const sshHostSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]*$/, 'expected a lower-case host name of letters, digits, dots and dashes')
      .describe('Name of the host in plans, status and the ledger.'),
    ...sshEndpoint,
    roles: z
      .array(z.string())
      .default([])
      .describe(
        'Roles or tags of the host: labels for you, kept with the host; a worker process with `roles` runs only on the hosts that have one of them.',
      ),
    agentHome: z
      .string()
      .default('/var/lib/slipway')
      .describe("Directory on the host for the agent, its state and the app's releases."),
  })
  .describe(
    'A Linux machine reached over SSH: instead of `local`, a mapping with these keys, e.g. `{ name: web1, address: 10.0.0.11, user: deploy, identityFile: ~/.ssh/id_ed25519 }`.',
  );

export const hostSchema = z
  .union([z.literal('local'), sshHostSchema])
  .describe('`local` (this machine, no SSH) or an SSH host.');

export const sshSettingsSchema = z
  .strictObject({
    knownHosts: z
      .string()
      .optional()
      .describe(
        'known_hosts file Slipway checks host keys against (default: .slipway/known_hosts/<environment>). Unknown keys are refused until `slipway setup --trust-new-hosts`; a changed key stops the deploy.',
      ),
    jumpHost: z.strictObject(sshEndpoint).optional().describe('A bastion every SSH connection goes through.'),
    connectTimeout: duration().default('10s').describe('How long to wait for an SSH connection.'),
    parallelism: z.int().min(1).max(256).default(10).describe('How many hosts are worked on at once.'),
  })
  .describe('How the control plane reaches SSH hosts.');

export type SshHostConfig = z.output<typeof sshHostSchema>;
export type HostConfig = z.output<typeof hostSchema>;
export type SshSettings = z.output<typeof sshSettingsSchema>;
