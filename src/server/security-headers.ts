/**
 * Headers on every answer. The dashboard is served from the same origin and loads nothing from elsewhere, so
 * the policy allows only 'self' (inline styles for uPlot's charts; data: images for its canvas exports).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function securityHeaders(options: { https: boolean; api: boolean }): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    // Only over https: a browser ignores it on http, and a proxy in front may terminate TLS differently.
    ...(options.https ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
    // API answers carry state and who may see it; no cache (browser or proxy) may keep them.
    ...(options.api ? { 'Cache-Control': 'no-store' } : {}),
  };
}
