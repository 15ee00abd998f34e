import { useEffect, useState } from 'preact/hooks';
import type { LedgerEventView } from '../../server/api-types.js';
import { useApp } from '../app-context.js';
import { ErrorBox } from '../components/error-box.js';
import { SearchBox } from '../components/search-box.js';
import { formatTime } from '../format.js';
import { useLiveEvents, useLoad } from '../hooks.js';
import { hrefOf } from '../route.js';
import type { EnvironmentStatusView } from '../environment-status.js';

const PAGE = 100;
/** Offered in the kind filter besides the kinds of the events listed. */
const KNOWN_KINDS = [
  'release.created',
  'deploy.started',
  'deploy.succeeded',
  'deploy.failed',
  'deploy.rolled-back',
  'rollback.started',
  'rollback.succeeded',
  'traffic.switched',
  'canary.verdict',
  'approval.requested',
  'approval.granted',
  'approval.rejected',
  'verify.passed',
  'verify.failed',
  'release.promoted',
  'auth.login-throttled',
];

interface Filter {
  q: string;
  environment: string | null;
  kind: string | null;
}

/**
 * The ledger newest first, filtered on the server (text, environment, kind); new events that match the
 * environment and kind filters appear on top as they happen; older pages load on demand.
 */
export function LedgerPage({ q, environment, kind }: Filter) {
  const { api, navigate } = useApp();
  const filter = { q, environment, kind };
  const go = (change: Partial<Filter>) => {
    const next = { ...filter, ...change };
    navigate({ kind: 'ledger', q: next.q, environment: next.environment, kind_: next.kind });
  };
  const environments = useLoad(() => api.get<EnvironmentStatusView[]>('/environments'), []);
  const first = useLoad(
    () => api.get<LedgerEventView[]>('/ledger', { q, environment, kind, limit: PAGE }),
    [q, environment, kind],
  );
  const [events, setEvents] = useState<LedgerEventView[]>([]);
  const [older, setOlder] = useState<{ more: boolean; error: unknown }>({ more: false, error: null });
  useEffect(() => {
    setEvents(first.data ?? []);
    setOlder({ more: (first.data?.length ?? 0) === PAGE, error: null });
  }, [first.data]);

  useLiveEvents((e) => {
    if (e.kind !== 'ledger') return;
    const ev = e.event;
    // The text filter is the server's to apply (it matches fields the event may not show): reload for it.
    if (q) return first.reload();
    if (environment && ev.environment !== environment) return;
    if (kind && ev.kind !== kind) return;
    setEvents((current) => (current.some((c) => c.seq === ev.seq) ? current : [ev, ...current]));
  });

  const loadOlder = async () => {
    const last = events.at(-1);
    if (!last) return;
    try {
      const page = await api.get<LedgerEventView[]>('/ledger', {
        q,
        environment,
        kind,
        limit: PAGE,
        beforeSeq: last.seq,
      });
      setEvents((current) => [...current, ...page]);
      setOlder({ more: page.length === PAGE, error: null });
    } catch (err) {
      setOlder({ more: true, error: err });
    }
  };

  return (
    <section>
      <h2>Ledger</h2>
      <div class="filters">
        <SearchBox
          value={q}
          placeholder="message, actor, release, deployment"
          onSearch={(text) => go({ q: text })}
        />
        <label>
          environment
          <select
            name="environment"
            value={environment ?? ''}
            onChange={(e) => go({ environment: (e.target as HTMLSelectElement).value || null })}
          >
            <option value="">all</option>
            {environments.data?.map((s) => (
              <option key={s.environment} value={s.environment}>
                {s.environment}
              </option>
            ))}
          </select>
        </label>
        <label>
          kind
          <select
            name="kind"
            value={kind ?? ''}
            onChange={(e) => go({ kind: (e.target as HTMLSelectElement).value || null })}
          >
            <option value="">all</option>
            {[...new Set([...KNOWN_KINDS, ...events.map((e) => e.kind), ...(kind ? [kind] : [])])]
              .sort()
              .map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
          </select>
        </label>
      </div>
      <ErrorBox error={first.error} />
      {!first.loading && events.length === 0 && <p class="muted">No event matches.</p>}
      <div class="table-scroll">
        <table class="list ledger">
          <thead>
            <tr>
              <th>time</th>
              <th>environment</th>
              <th>kind</th>
              <th>message</th>
              <th>actor</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.seq} data-seq={e.seq} data-kind={e.kind}>
                <td class="nowrap">{formatTime(e.atMs)}</td>
                <td>{e.environment ?? ''}</td>
                <td>
                  <code>{e.kind}</code>
                </td>
                <td class="wrap">
                  {e.message}
                  {e.deploymentId && (
                    <>
                      {' '}
                      <a href={hrefOf({ kind: 'deployment', id: e.deploymentId })}>deployment</a>
                    </>
                  )}
                </td>
                <td>{e.actor}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ErrorBox error={older.error} />
      {older.more && (
        <button type="button" onClick={() => void loadOlder()}>
          Older events
        </button>
      )}
    </section>
  );
}
