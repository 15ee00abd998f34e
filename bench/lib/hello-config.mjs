// The slipway.yml of a benchmark's temp copy of examples/hello: one `production` environment on 127.0.0.1:`port`
// whose `strategy` block (YAML lines indented by 6 spaces) the benchmark chooses.

/** @param {number} port @param {string} strategy */
export function helloConfig(port, strategy) {
  return `app: hello
build:
  command: node build.js
run:
  command: node server.js
healthCheck:
  path: /healthz
  interval: 200ms
  healthyThreshold: 2
environments:
  production:
    publicPort: ${port}
    bindAddress: 127.0.0.1
    strategy:
${strategy}
`;
}
