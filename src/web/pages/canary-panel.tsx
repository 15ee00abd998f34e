import { useEffect, useRef, useState } from 'preact/hooks';
import type { LedgerEventView, TrafficView } from '../../server/api-types.js';
import { useApp } from '../app-context.js';
import { ErrorBox } from '../components/error-box.js';
import { StateBadge } from '../components/state-badge.js';
import { TrafficChart } from '../components/traffic-chart.js';
import { formatNumber, formatTime } from '../format.js';
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
/** The three charts, each with a line per release. */
const CHARTS: ReadonlyArray<{
  title: string;
  unit: string;
  column: 'requestsPerSecond' | 'errorPercent' | 'p99Ms';
}> = [
  { title: 'requests / s', unit: '', column: 'requestsPerSecond' },
  { title: '5xx (% of requests)', unit: '%', column: 'errorPercent' },
  { title: 'p99 latency (ms)', unit: 'ms', column: 'p99Ms' },
];

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
    // A slow answer is not overtaken by the next question: the intervals stay in order.
    let asking = false;
    previous.current = null;
    setSeries(EMPTY_SERIES);
    const poll = async () => {
      if (asking) return;
      asking = true;
      try {
        const snapshot = toTrafficSnapshot(await api.get<TrafficView>(`${path}/traffic`));
        const before = previous.current;
        previous.current = snapshot;
        const point = before ? deriveTrafficPoint(before, snapshot) : null;
        if (point && !stopped) setSeries((s) => appendTrafficPoint(s, point, MAX_POINTS));
        if (!stopped) setError(null);
      } catch (err) {
        if (!stopped) setError(err);
      } finally {
        asking = false;
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
    <section class="canary" data-canary={environment} data-points={series.x.length}>
      <h3>Canary in {environment}</h3>
      <ErrorBox error={error} />
      {series.x.length === 0 && <p class="muted">Measuring… (a point every {POLL_MS / 1000} s)</p>}
      {/* Without a point, uPlot draws empty axes dated 1970: the charts come with the first point. */}
      {series.x.length > 0 && (
        <div class="charts">
          {CHARTS.map((c) => (
            <TrafficChart
              key={c.title}
              title={c.title}
              unit={c.unit}
              releases={series.releases}
              x={series.x}
              columns={series[c.column]}
            />
          ))}
        </div>
      )}
      <LatestRates series={series} />
      <h4>Analysis verdicts</h4>
      <ErrorBox error={verdicts.error} />
      {verdicts.data?.length === 0 && <p class="muted">No verdict yet.</p>}
      <ul class="events">
        {verdicts.data?.map((v) => (
          <li key={v.seq} data-verdict={verdictOf(v)}>
            <span class="muted">{formatTime(v.atMs)}</span> <StateBadge state={verdictOf(v)} /> {v.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The last point of each release: the numbers under the charts, readable on a phone and by a test. */
function LatestRates({ series }: { series: TrafficSeries }) {
  if (series.x.length === 0) return null;
  const last = (column: (number | null)[] | undefined) => column?.at(-1) ?? null;
  return (
    <table class="latest">
      <caption class="muted">last {POLL_MS / 1000} s</caption>
      <thead>
        <tr>
          <th>release</th>
          <th>requests / s</th>
          <th>5xx</th>
          <th>p99</th>
        </tr>
      </thead>
      <tbody>
        {series.releases.map((release, i) => {
          const rps = last(series.requestsPerSecond[i]);
          const errors = last(series.errorPercent[i]);
          const p99 = last(series.p99Ms[i]);
          return (
            <tr key={release} data-release={release}>
              <td>
                <strong>{release}</strong>
              </td>
              <td data-field="rps" data-value={rps ?? ''}>
                {formatNumber(rps)}
              </td>
              <td data-field="errors" data-value={errors ?? ''}>
                {formatNumber(errors, '%')}
              </td>
              <td data-field="p99" data-value={p99 ?? ''}>
                {formatNumber(p99, ' ms')}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The verdict's result (`successful`, `failed`, `inconclusive`), from the event's data (the judge's verdict). */
function verdictOf(event: LedgerEventView): string {
  const data = event.data as { result?: unknown } | undefined;
  return typeof data?.result === 'string' ? data.result : 'unknown';
}
