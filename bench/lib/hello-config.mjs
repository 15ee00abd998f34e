// The slipway.yml of a benchmark's temp copy of examples/hello: one `production` environment on 127.0.0.1:`port`
// whose `strategy` block (YAML lines indented by 6 spaces) the benchmark chooses; `env` sets the app's variables
// (quoted), `stopTimeout` how long a stopping target may take.

/**
 * @param {number} port
 * @param {string} strategy
 * @param {{ env?: Record<string, string>, stopTimeout?: string }} [opts]
 */
export function helloConfig(port, strategy, opts = {}) {
  const stop = opts.stopTimeout ? `\n  stopTimeout: ${opts.stopTimeout}` : '';
  const env = opts.env
    ? `\nenv:\n${Object.entries(opts.env)
        .map(([k, v]) => `  ${k}: "${v}"`)
        .join('\n')}`
    : '';
  return `app: hello
build:
  command: node build.js
run:
  command: node server.js${stop}
healthCheck:
  path: /healthz
  interval: 200ms
  healthyThreshold: 2${env}
environments:
  production:
    publicPort: ${port}
    bindAddress: 127.0.0.1
    strategy:
${strategy}
`;
}
