import { useEffect, useRef, useState } from 'preact/hooks';
import type { LedgerEventView, TrafficView } from '../../server/api-types.js';
import { useApp } from '../app-context.js';
import { ErrorBox } from '../components/error-box.js';
import { TrafficChart } from '../components/traffic-chart.js';
import { formatTime } from '../format.js';
import { useLiveEvents, useLoad } from '../hooks.js';
import { toTrafficSnapshot } from '../traffic-answer.js';
import {
  appendTrafficPoint,
  deriveTrafficPoint,
  EMPTY_SERIES,
  type TrafficSeries,
  type TrafficSnapshot,
} from '../traffic-rates.js';

const POLL_MS = 2000;
/** Ten minutes at one point every two seconds. */
const MAX_POINTS = 300;

/**
 * A running canary, live: request rate, 5xx and p99 latency per release, from the difference of successive
 * GET /traffic answers (cumulative router counters), beside the analysis verdicts of the ledger.
 */
export function CanaryPanel({ environment }: { environment: string }) {
  const { api } = useApp();
  const [series, setSeries] = useState<TrafficSeries>(EMPTY_SERIES);
  const [error, setError] = useState<unknown>(null);
  const previous = useRef<TrafficSnapshot | null>(null);
  const path = `/environments/${encodeURIComponent(environment)}`;

  useEffect(() => {
    let stopped = false;
    previous.current = null;
    setSeries(EMPTY_SERIES);
    const poll = async () => {
      try {
        const snapshot = toTrafficSnapshot(await api.get<TrafficView>(`${path}/traffic`));
        const before = previous.current;
        previous.current = snapshot;
        const point = before ? deriveTrafficPoint(before, snapshot) : null;
        if (point && !stopped) setSeries((s) => appendTrafficPoint(s, point, MAX_POINTS));
        setError(null);
      } catch (err) {
        if (!stopped) setError(err);
      }
    };
    void poll();
    const id = setInterval(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(id);
    };
  }, [api, path]);

  const verdicts = useLoad(
    () => api.get<LedgerEventView[]>('/ledger', { environment, kind: 'canary.verdict', limit: 20 }),
    [environment],
  );
  useLiveEvents((e) => {
    if (e.kind === 'ledger' && e.event.kind === 'canary.verdict' && e.event.environment === environment)
      verdicts.reload();
  });

  return (
    <section class="canary" data-canary={environment}>
      <h3>Canary in {environment}</h3>
      <ErrorBox error={error} />
      {series.x.length === 0 && <p class="muted">Measuring… (a point every {POLL_MS / 1000} s)</p>}
      <div class="charts">
        <TrafficChart
          title="requests / s"
          unit=""
          releases={series.releases}
          x={series.x}
          columns={series.requestsPerSecond}
        />
        <TrafficChart
          title="5xx (% of requests)"
          unit="%"
          releases={series.releases}
          x={series.x}
          columns={series.errorPercent}
        />
        <TrafficChart
          title="p99 latency (ms)"
          unit="ms"
          releases={series.releases}
          x={series.x}
          columns={series.p99Ms}
        />
      </div>
      <h4>Analysis verdicts</h4>
      <ErrorBox error={verdicts.error} />
      {verdicts.data?.length === 0 && <p class="muted">No verdict yet.</p>}
      <ul class="events">
        {verdicts.data?.map((v) => (
          <li key={v.seq} data-verdict={verdictOf(v)}>
            <span class="muted">{formatTime(v.atMs)}</span> {v.release && <strong>{v.release}</strong>}{' '}
            {v.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

function verdictOf(event: LedgerEventView): string {
  const data = event.data as { verdict?: unknown } | undefined;
  return typeof data?.verdict === 'string' ? data.verdict : 'unknown';
}
