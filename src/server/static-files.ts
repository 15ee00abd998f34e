import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Context } from 'hono';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slipway</title></head>
<body><h1>Slipway server</h1>
<p>The dashboard is not built: run <code>npm run build</code> (it writes dist/web), then restart the server.
The API is at <code>/api/v1</code> (see docs/server.md).</p></body></html>
`;

/**
 * The dashboard: a file of `webRoot` when the path names one, else index.html (the dashboard routes in the
 * browser). Paths are resolved inside webRoot only. Hashed assets (Vite puts them under /assets) may be cached.
 */
export async function serveDashboard(c: Context, webRoot: string | null): Promise<Response> {
  if (webRoot === null) return c.html(NOT_BUILT_PAGE, 200);
  const path = decodePath(new URL(c.req.url).pathname);
  const file = normalize(join(webRoot, path ?? '/'));
  if (path !== null && file.startsWith(webRoot + sep) && extname(file) !== '') {
    const body = await readFile(file).catch(() => null);
    if (body) {
      const immutable = path.startsWith('/assets/');
      return c.body(body, 200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
  }
  const index = await readFile(join(webRoot, 'index.html')).catch(() => null);
  if (!index) return c.html(NOT_BUILT_PAGE, 200);
  return c.body(index, 200, { 'content-type': TYPES['.html'] ?? 'text/html', 'cache-control': 'no-cache' });
}

function decodePath(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return null;
  }
}
