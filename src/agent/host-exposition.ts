import type { MonitorSample } from './monitor-protocol.js';

/**
 * The host's and targets' latest sample in the Prometheus text format, appended to the routers' metrics.
 * Pure. Values the kernel did not give are left out rather than reported as 0.
 */
export function renderHostPrometheus(sample: MonitorSample | null): string {
  if (!sample) return '';
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number | null, type = 'gauge'): void => {
    if (value === null) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  const h = sample.host;
  gauge('slipway_host_cpu_percent', 'Busy CPU share over the last sample interval (0-100).', h.cpuPercent);
  gauge('slipway_host_memory_percent', 'Memory in use (total minus available), percent.', h.memoryPercent);
  gauge('slipway_host_memory_used_bytes', 'Memory in use (total minus available).', h.memoryUsedBytes);
  gauge('slipway_host_load1', 'Load average over 1 minute.', h.load1);
  gauge('slipway_host_load5', 'Load average over 5 minutes.', h.load5);
  gauge('slipway_host_disk_percent', "Disk in use on the agent home's filesystem, percent.", h.diskPercent);
  gauge('slipway_host_disk_free_bytes', "Free disk on the agent home's filesystem.", h.diskFreeBytes);
  gauge(
    'slipway_host_network_receive_bytes_total',
    'Bytes received (all interfaces but lo).',
    h.netRxBytes,
    'counter',
  );
  gauge(
    'slipway_host_network_transmit_bytes_total',
    'Bytes sent (all interfaces but lo).',
    h.netTxBytes,
    'counter',
  );
  const family = (
    name: string,
    type: string,
    help: string,
    pick: (t: MonitorSample['targets'][number]) => number | null,
  ): void => {
    const rows = sample.targets.flatMap((t) => {
      const v = pick(t);
      return v === null
        ? []
        : [`${name}{app="${esc(t.app)}",release="${esc(t.release)}",target="${esc(t.id)}"} ${v}`];
    });
    if (rows.length > 0) lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows);
  };
  family(
    'slipway_target_restarts_total',
    'counter',
    'Restarts of the target after crashes.',
    (t) => t.restarts,
  );
  family(
    'slipway_target_resident_memory_bytes',
    'gauge',
    "Resident memory of the target's process group.",
    (t) => t.rssBytes,
  );
  family('slipway_target_uptime_seconds', 'gauge', 'Time since the target process started.', (t) =>
    t.uptimeMs === null ? null : t.uptimeMs / 1000,
  );
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function esc(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
