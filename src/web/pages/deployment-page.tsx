import { useState } from 'preact/hooks';
import type { ApprovalOutcome } from '../../operations/decide-approval.js';
import type { DeploymentDetailView, LedgerEventView, StepView } from '../../server/api-types.js';
import { useApp } from '../app-context.js';
import { ConfirmAction } from '../components/confirm-action.js';
import { ErrorBox } from '../components/error-box.js';
import { StateBadge } from '../components/state-badge.js';
import { TimelineView } from '../components/timeline-view.js';
import { formatAgo, formatTime } from '../format.js';
import { useDebounced, useLiveEvents, useLoad, useNow } from '../hooks.js';
import { hrefOf } from '../route.js';
import { applyStepEvent } from '../timeline.js';
import { visibleActions } from '../deployment-actions.js';
import { CanaryPanel } from './canary-panel.js';

/** POST /deployments/:id/approve answers the approvals' state after the decision (these fields of the outcome). */
type ApprovalAnswer = Pick<ApprovalOutcome, 'state' | 'approvedBy' | 'missing'>;

/**
 * One deployment, live: step events move the timeline at once; a change of the deployment or a ledger event
 * about it (an approval, a verdict) reloads it, so the buttons follow what the server allows now.
 */
export function DeploymentPage({ id }: { id: string }) {
  const { api } = useApp();
  const now = useNow(5000);
  const detail = useLoad(() => api.get<DeploymentDetailView>(`/deployments/${encodeURIComponent(id)}`), [id]);
  const events = useLoad(() => api.get<LedgerEventView[]>('/ledger', { q: id, limit: 100 }), [id]);
  // Step events change the steps of the answer they arrived after; a new answer starts from its own steps.
  const [live, setLive] = useState<{ from: DeploymentDetailView | undefined; steps: StepView[] }>({
    from: undefined,
    steps: [],
  });
  const steps = live.from === detail.data ? live.steps : (detail.data?.steps ?? []);
  const reload = useDebounced(() => {
    detail.reload();
    events.reload();
  }, 300);

  useLiveEvents((e) => {
    if (e.kind === 'step' && e.deploymentId === id)
      setLive((current) => {
        const base = current.from === detail.data ? current.steps : (detail.data?.steps ?? []);
        return { from: detail.data, steps: applyStepEvent(base, id, e) };
      });
    else if (e.kind === 'deployment' && e.deployment.id === id) reload();
    else if (e.kind === 'ledger' && e.event.deploymentId === id) reload();
  });

  const d = detail.data?.deployment;
  if (!d)
    return (
      <section>{detail.error ? <ErrorBox error={detail.error} /> : <p class="muted">Loading…</p>}</section>
    );
  const allowed = detail.data ? visibleActions(detail.data.allowed, steps) : undefined;
  const path = `/deployments/${encodeURIComponent(id)}`;
  return (
    <section class="deployment" data-deployment={id}>
      <h2>
        {d.kind} {d.release} to {d.environment} <StateBadge state={d.phase} />
      </h2>
      <ErrorBox error={detail.error} />
      <dl class="facts">
        <dt>id</dt>
        <dd>
          <code>{d.id}</code>
        </dd>
        <dt>strategy</dt>
        <dd>{d.strategy}</dd>
        <dt>previous</dt>
        <dd>{d.previous ?? 'none'}</dd>
        <dt>by</dt>
        <dd>
          {d.createdBy}, {formatTime(d.createdAtMs)} ({formatAgo(d.createdAtMs, now)})
        </dd>
        {d.reason && (
          <>
            <dt>reason</dt>
            <dd>{d.reason}</dd>
          </>
        )}
        {d.finishedAtMs !== null && (
          <>
            <dt>finished</dt>
            <dd>
              {d.outcome} at {formatTime(d.finishedAtMs)}
            </dd>
          </>
        )}
      </dl>
      {d.error && <div class="error">{d.error}</div>}
      <div class="actions">
        {allowed?.approve && (
          <ConfirmAction
            label="Approve"
            question={`Approve the ${d.kind} of ${d.release} to ${d.environment}?`}
            comment="optional"
            onConfirm={async (comment) => {
              const r = await api.post<ApprovalAnswer>(`${path}/approve`, comment ? { comment } : {});
              reload();
              return r.state === 'approved'
                ? 'approved: the deployment goes on'
                : `approval recorded; still needed: ${r.missing.map((m) => `${m.count} ${m.role}`).join(', ')}`;
            }}
          />
        )}
        {allowed?.reject && (
          <ConfirmAction
            label="Reject"
            question={`Reject the ${d.kind} of ${d.release} to ${d.environment}? It stops.`}
            comment="required"
            danger
            onConfirm={async (comment) => {
              await api.post(`${path}/reject`, { comment });
              reload();
            }}
          />
        )}
        {allowed?.promote && (
          <ConfirmAction
            label="Promote"
            question={`Promote ${d.release}: go on past the pause?`}
            comment="optional"
            commentLabel="Reason"
            onConfirm={async (reason) => {
              await api.post(`${path}/promote`, reason ? { reason } : {});
              return 'promote signalled';
            }}
          />
        )}
        {allowed?.abort && (
          <ConfirmAction
            label="Abort"
            question={`Abort this deployment? ${d.environment} goes back to ${d.previous ?? 'nothing'}.`}
            comment="optional"
            commentLabel="Reason"
            danger
            onConfirm={async (reason) => {
              await api.post(`${path}/abort`, reason ? { reason } : {});
              return 'abort signalled';
            }}
          />
        )}
      </div>
      <h3>Plan</h3>
      <TimelineView steps={steps} />
      {d.strategy === 'canary' && d.outcome === null && <CanaryPanel environment={d.environment} />}
      <h3>Events</h3>
      <ErrorBox error={events.error} />
      <ul class="events">
        {events.data?.map((e) => (
          <li key={e.seq}>
            <span class="muted">{formatTime(e.atMs)}</span> <code>{e.kind}</code> {e.message}{' '}
            <span class="muted">by {e.actor}</span>
          </li>
        ))}
      </ul>
      <p>
        <a href={hrefOf({ kind: 'ledger', q: id, environment: null, kind_: null })}>In the ledger</a>
      </p>
    </section>
  );
}
