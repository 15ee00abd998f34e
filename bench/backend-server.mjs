// A minimal app for the benchmarks: answers every request with a fixed body of about 100 bytes.
// Usage: node bench/backend-server.mjs [name]   → prints {"ready":true,"port":…} on stdout.
import { createServer } from 'node:http';

const name = process.argv[2] ?? 'backend';
const body = Buffer.from(`${name}:`.padEnd(99, 'x') + '\n');

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: server.address().port, pid: process.pid })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
