import type { FrontDoorStatusView } from '../../operations/derive-front-door-status.js';
import { certificateRow } from '../environment-status.js';
import { StateBadge } from './state-badge.js';

/** The environment's names on its hosts' front door, and each certificate served: names, issuer, expiry. */
export function FrontDoorTable({ door, now }: { door: FrontDoorStatusView; now: number }) {
  const prefix = door.pathPrefix === '/' ? '' : door.pathPrefix;
  return (
    <table class="hosts front-door" data-front-door={door.names.join(' ')}>
      <thead>
        <tr>
          <th>
            front door{' '}
            <span class="muted">
              HTTP :{door.httpPort}, HTTPS :{door.httpsPort}
            </span>
          </th>
          <th>issuer</th>
          <th>expiry</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <td colSpan={3} data-field="names">
            {door.names.map((n) => `${n}${prefix}`).join(', ')}
          </td>
        </tr>
        {door.certificates.length === 0 && (
          <tr>
            <td colSpan={3} class="muted">
              {door.acme ? 'no certificate yet: ACME has issued none' : 'no certificate: plain HTTP'}
            </td>
          </tr>
        )}
        {door.certificates.map((c, i) => {
          const row = certificateRow(c, now);
          return (
            <tr key={i} data-certificate={row.names} data-state={c.state}>
              <td>
                {row.names}
                {c.source === 'acme' && <span class="muted"> (ACME)</span>}
              </td>
              <td>{row.issuer}</td>
              <td>
                <StateBadge state={row.state} label={row.label} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
