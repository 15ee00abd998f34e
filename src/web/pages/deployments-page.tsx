import type { DeploymentView } from '../../server/api-types.js';
import { useApp } from '../app-context.js';
import { ErrorBox } from '../components/error-box.js';
import { StateBadge } from '../components/state-badge.js';
import { formatTime } from '../format.js';
import { useDebounced, useLiveEvents, useLoad } from '../hooks.js';
import { hrefOf } from '../route.js';

/** Recent deployments (of one environment or all), newest first, live: where to find one waiting for approval. */
export function DeploymentsPage({ environment }: { environment: string | null }) {
  const { api } = useApp();
  const list = useLoad(
    () => api.get<DeploymentView[]>('/deployments', { environment, limit: 50 }),
    [environment],
  );
  const refresh = useDebounced(list.reload, 500);
  useLiveEvents((e) => {
    if (e.kind === 'deployment' || (e.kind === 'ledger' && e.event.deploymentId)) refresh();
  });
  return (
    <section>
      <h2>Deployments{environment ? ` to ${environment}` : ''}</h2>
      <ErrorBox error={list.error} />
      {list.data?.length === 0 && <p class="muted">No deployment yet.</p>}
      <div class="table-scroll">
        <table class="list">
          <thead>
            <tr>
              <th>started</th>
              <th>environment</th>
              <th>what</th>
              <th>phase</th>
              <th>by</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.map((d) => (
              <tr key={d.id} data-deployment={d.id}>
                <td class="nowrap">{formatTime(d.createdAtMs)}</td>
                <td>{d.environment}</td>
                <td>
                  <a href={hrefOf({ kind: 'deployment', id: d.id })}>
                    {d.kind} {d.release}
                  </a>
                  {d.previous && <span class="muted"> (from {d.previous})</span>}
                </td>
                <td>
                  <StateBadge state={d.phase} />
                </td>
                <td>{d.createdBy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
