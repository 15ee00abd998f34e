import { createServer, type Server } from 'node:http';
import { SlipwayError } from '../core/errors.js';
import type { MonitorSample } from './monitor-protocol.js';
import { renderHostPrometheus } from './host-exposition.js';
import { renderPrometheusMetrics } from './metrics-exposition.js';
import type { TargetMetrics } from './protocol.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves the routers' and the host's metrics in the Prometheus format on a loopback port (for a Prometheus). */
export async function serveAgentMetrics(
  port: number,
  sources: {
    routes: () => Promise<Array<{ app: string; targets: TargetMetrics[] }>>;
    host: () => MonitorSample | null;
  },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    sources.routes().then(
      (routes) =>
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
          .end(renderPrometheusMetrics(routes) + renderHostPrometheus(sources.host())),
      (err: unknown) => res.writeHead(503).end(`the router process does not answer: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new SlipwayError(`the agent cannot serve metrics on 127.0.0.1:${port}: ${err.code ?? err.message}`, {
          hint: 'choose another metricsPort',
        }),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
