import type { JobRecord } from '../../server/api-types.js';
import { can } from '../../server/auth/roles.js';
import { useApp } from '../app-context.js';
import { ConfirmAction } from '../components/confirm-action.js';
import { ErrorBox } from '../components/error-box.js';
import { FrontDoorTable } from '../components/front-door-table.js';
import { StateBadge } from '../components/state-badge.js';
import {
  edgeMemberState,
  roleOf,
  type EnvironmentStatusView,
  type HostStatusView,
} from '../environment-status.js';
import type { EdgeStatusView } from '../../operations/derive-edge-status.js';
import { formatAgo, formatTime } from '../format.js';
import { useDebounced, useLiveEvents, useLoad, useNow } from '../hooks.js';
import { hrefOf } from '../route.js';

/** Every environment the session may read: what each host serves, the lock, the last deployment; live. */
export function EnvironmentsPage() {
  const { api } = useApp();
  const statuses = useLoad(() => api.get<EnvironmentStatusView[]>('/environments'), []);
  const refresh = useDebounced(statuses.reload, 700);
  useLiveEvents((e) => {
    if (e.kind !== 'job') refresh();
  });
  return (
    <section>
      <h2>Environments</h2>
      <ErrorBox error={statuses.error} />
      {statuses.data?.length === 0 && <p class="muted">No environment is visible to you.</p>}
      <div class="cards">
        {statuses.data?.map((s) => (
          <EnvironmentCard key={s.environment} status={s} />
        ))}
      </div>
      {statuses.loading && !statuses.data && <p class="muted">Loading…</p>}
    </section>
  );
}

function EnvironmentCard({ status }: { status: EnvironmentStatusView }) {
  const { api, session } = useApp();
  const now = useNow(5000);
  const env = status.environment;
  const last = status.lastDeployment;
  const running = last !== null && !['succeeded', 'failed', 'rolled-back', 'aborted'].includes(last.phase);
  return (
    <article class="card" data-environment={env}>
      <header>
        <h3>{env}</h3>
        <span class="muted">{status.strategy}</span>
      </header>
      <table class="hosts">
        <thead>
          <tr>
            <th>host</th>
            <th>release</th>
            <th>health</th>
          </tr>
        </thead>
        <tbody>
          {status.hosts.map((h) => (
            <HostRows key={h.host} host={h} />
          ))}
        </tbody>
      </table>
      {status.frontDoor && <FrontDoorTable door={status.frontDoor} now={now} />}
      {status.edge && <EdgeTable edge={status.edge} now={now} />}
      <dl>
        <dt>lock</dt>
        <dd data-field="lock">
          {status.lock ? (
            <>
              held by <strong>{status.lock.holder}</strong> since {formatTime(status.lock.sinceMs)}
              {status.lock.stale && <StateBadge state="stale" label="stale: holder gone" />}
            </>
          ) : (
            'free'
          )}
        </dd>
        <dt>last deployment</dt>
        <dd data-field="last-deployment">
          {last ? (
            <>
              <a href={hrefOf({ kind: 'deployment', id: last.id })}>
                {last.kind} {last.release}
              </a>{' '}
              <StateBadge state={last.phase} /> by {last.by}, {formatAgo(last.atMs, now)}
              {last.currentStep && <div class="muted">now: {last.currentStep}</div>}
              {last.error && <div class="error-text">{last.error}</div>}
            </>
          ) : (
            'none yet'
          )}
        </dd>
        {status.canaryVerdict && (
          <>
            <dt>analysis</dt>
            <dd>{status.canaryVerdict.message}</dd>
          </>
        )}
      </dl>
      <footer>
        <a href={hrefOf({ kind: 'deployments', environment: env })}>Deployments</a>
        <a href={hrefOf({ kind: 'ledger', q: '', environment: env, kind_: null })}>Ledger</a>
        {running && status.strategy === 'canary' && (
          <a href={hrefOf({ kind: 'canary', environment: env })}>Canary charts</a>
        )}
        {can(session.grants, 'deploy', env) && last && !running && (
          <ConfirmAction
            label="Rollback"
            question={`Roll ${env} back to the release before ${last.release}?`}
            comment="optional"
            commentLabel="Reason"
            danger
            onConfirm={async (reason) => {
              const job = await api.post<JobRecord>(`/environments/${encodeURIComponent(env)}/rollback`, {
                ...(reason ? { reason } : {}),
              });
              return `rollback queued (job ${job.id})`;
            }}
          />
        )}
      </footer>
    </article>
  );
}

/** The edge and each app host as it sees it: in rotation, or ejected / disabled since when and why. */
function EdgeTable({ edge, now }: { edge: EdgeStatusView; now: number }) {
  return (
    <table class="hosts edge" data-edge={edge.host}>
      <thead>
        <tr>
          <th>
            edge <span class="muted">:{edge.publicPort}</span>
          </th>
          <th>state</th>
          <th>in flight</th>
        </tr>
      </thead>
      <tbody>
        {edge.error !== null && (
          <tr>
            <td>{edge.host}</td>
            <td colSpan={2} class="error-text">
              {edge.error}
            </td>
          </tr>
        )}
        {edge.members.map((m) => {
          const { state, label } = edgeMemberState(m, now);
          return (
            <tr key={m.id} data-member={m.id} data-state={m.state}>
              <td>{m.id}</td>
              <td>
                <StateBadge state={state} label={label} />
                {m.why && <div class="muted">{m.why}</div>}
              </td>
              <td>{m.inFlight}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function HostRows({ host }: { host: HostStatusView }) {
  if (host.error || !host.agent)
    return (
      <tr>
        <td>{host.host}</td>
        <td colSpan={2} class={host.error ? 'error-text' : 'muted'}>
          {host.error ? `unreachable: ${host.error}` : 'agent not running'}
        </td>
      </tr>
    );
  const shown = host.targets.filter((t) => roleOf(host, t.id).role !== 'idle');
  if (shown.length === 0)
    return (
      <tr>
        <td>{host.host}</td>
        <td colSpan={2} class="muted">
          nothing served
        </td>
      </tr>
    );
  return (
    <>
      {shown.map((t, i) => {
        const { role, weight } = roleOf(host, t.id);
        return (
          <tr key={t.id} data-host={host.host} data-role={role}>
            <td>{i === 0 ? host.host : ''}</td>
            <td>
              <strong data-field="release">{t.release}</strong>{' '}
              <StateBadge state={role} label={weight === null ? role : `${role} ${weight}%`} />
            </td>
            <td>
              <StateBadge state={t.health} />
            </td>
          </tr>
        );
      })}
    </>
  );
}
