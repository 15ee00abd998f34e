import { parseDurationMs } from '../core/duration.js';
import type { MonitoringConfig } from '../config/monitor-schema.js';
import type { MonitorStateRecord, Store } from '../store/index.js';
import { deriveRetentionCutoffs, downsampleRows, MINUTE_MS, TEN_MINUTES_MS } from './downsample.js';

/** Downsampling is not worth doing more than once a minute. */
const EVERY_MS = 60_000;

/**
 * Raw samples older than `retention.raw` become 1-minute averages, 1-minute rows older than
 * `retention.minute` become 10-minute averages, and 10-minute rows older than `retention.tenMinutes` go.
 */
export async function applyRetention(
  store: Store,
  app: string,
  environment: string,
  retention: MonitoringConfig['retention'],
  nowMs: number,
  last: MonitorStateRecord | undefined,
  putState: (key: string, state: string, sinceMs: number, data: unknown) => Promise<void>,
): Promise<void> {
  if (last && nowMs - last.sinceMs < EVERY_MS) return;
  const ms = (d: string): number => parseDurationMs(d) ?? 0;
  const cut = deriveRetentionCutoffs(nowMs, {
    rawMs: ms(retention.raw),
    minuteMs: ms(retention.minute),
    tenMinutesMs: ms(retention.tenMinutes),
  });
  const q = { app, environment };
  const raw = await store.listSamples({ ...q, resolution: 'raw', beforeMs: cut.rawCutoff });
  await store.insertSamples(downsampleRows(raw, MINUTE_MS, '1m'));
  await store.deleteSamples({ ...q, resolution: 'raw', beforeMs: cut.rawCutoff });
  const minutes = await store.listSamples({ ...q, resolution: '1m', beforeMs: cut.minuteCutoff });
  await store.insertSamples(downsampleRows(minutes, TEN_MINUTES_MS, '10m'));
  await store.deleteSamples({ ...q, resolution: '1m', beforeMs: cut.minuteCutoff });
  await store.deleteSamples({ ...q, resolution: '10m', beforeMs: cut.dropCutoff });
  await putState('retention', 'ok', nowMs, cut);
}
