import { Option, type Command } from 'commander';
import { hostsToSync, syncAgentEvents } from '../control-plane/agent-events.js';
import { SlipwayError } from '../core/errors.js';
import {
  renewCertificates,
  REVOCATION_REASON_NAMES,
  type HostRenewal,
} from '../operations/renew-certificates.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim, green, red, yellow } from './progress-renderer.js';

/** `slipway certificates renew <env> [--revoke [--reason R]]`: the front door's ACME certificates, now. */
export function registerCertificates(program: Command, globals: () => GlobalOptions): void {
  const certificates = program
    .command('certificates')
    .description("the certificates the hosts' front doors obtain from ACME (tls.acme)");
  certificates
    .command('renew')
    .description(
      "obtain a new certificate for the environment's names now, on each host that serves them (--revoke: revoke the one in place at the CA first); served for new handshakes at once",
    )
    .argument('<env>', 'environment name')
    .option('--revoke', 'revoke the certificate in place at the CA first (its key may have leaked)')
    .addOption(
      new Option(
        '--reason <reason>',
        'why it is revoked, as the CA is told (with --revoke; default unspecified)',
      ).choices(REVOCATION_REASON_NAMES),
    )
    .option(
      '--when-due',
      'only when it is due (two thirds of its lifetime gone): for a certificate the control plane holds for a fleet without an edge, from cron; `slipway server` does it hourly',
    )
    .option('--json', "print each host's answer as JSON")
    .action(
      async (env: string, opts: { revoke?: boolean; reason?: string; whenDue?: boolean; json?: boolean }) => {
        await withProject(globals(), async (project) => {
          const request = {
            environment: env,
            revoke: opts.revoke === true,
            ...(opts.reason === undefined ? {} : { reason: opts.reason }),
            ...(opts.whenDue === true ? { whenDue: true } : {}),
          };
          const print = (r: HostRenewal): void => void process.stdout.write(colour(describeHostRenewal(r)));
          const results = await renewCertificates(project, request, opts.json ? {} : { onHost: print });
          // The hosts' certificate events into the ledger now (the next command would copy them anyway).
          await syncAgentEvents(project, hostsToSync(project, env), { startAgents: false }).catch(
            () => undefined,
          );
          if (opts.json)
            process.stdout.write(`${JSON.stringify({ environment: env, hosts: results }, null, 2)}\n`);
          const failed = results.filter((r) => !r.ok).map((r) => r.host);
          if (failed.length > 0) {
            throw new SlipwayError(
              `no new certificate for ${env} on ${failed.join(', ')} (${failed.length} of ${results.length} host${results.length > 1 ? 's' : ''})`,
              {
                hint: 'the certificate in place keeps serving there; `slipway history` has what the CA said',
              },
            );
          }
        });
      },
    );
}

/**
 * What one host did, as lines: `✔ host: names`, then the certificate it replaced and the one it serves now (serial
 * and expiry), or `✖ host: why`. Pure.
 */
export function describeHostRenewal(r: HostRenewal): string {
  if (!r.ok) return `✖ ${r.host}: ${r.error}\n${r.hint === undefined ? '' : `    hint: ${r.hint}\n`}`;
  const { names, previous, current, revoked } = r.renewal;
  const was =
    previous === null
      ? '    was  none\n'
      : `    was  serial ${previous.serial}  valid until ${previous.notAfter}${revoked ? '  (revoked)' : ''}\n`;
  if (previous?.serial === current.serial)
    return `✔ ${r.host}: ${names.join(', ')}\n    kept serial ${current.serial}  valid until ${current.notAfter} (not due)\n`;
  return `✔ ${r.host}: ${names.join(', ')}\n${was}    now  serial ${current.serial}  valid until ${current.notAfter}\n`;
}

function colour(text: string): string {
  return text
    .replace(/^✔/, green('✔'))
    .replace(/^✖/, red('✖'))
    .replace(/^ {4}hint:/m, yellow('    hint:'))
    .replace(/^ {4}was .*$/m, (line) => dim(line));
}
