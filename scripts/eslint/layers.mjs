// The layers of src/, bottom first, for the rule slipway/no-upward-import (./no-upward-import.mjs). A folder may
// import (by value) only folders on a lower line. Folders on one line are peers: neither imports the other. Type-only
// imports may go anywhere. The same picture, with what each line is for, is in docs/architecture.md ("Layout").
export const LAYERS = [
  ['core'], // ids, clock, errors, durations, latency histogram: shared and pure
  ['config', 'store', 'analysis', 'certificates'], // schema and loading; the store; statistics, canary judge; ACME
  ['router', 'runtime'], // the data plane's parts: the proxy; process and docker runtimes
  ['agent'], // the on-host daemon (its own bundle): supervisor, routes, keeper, protocol, client
  ['hosts', 'release'], // reaching hosts (SSH, local) and their agents; packaging releases
  ['pipeline', 'migrate', 'verify', 'notify'], // gates and bake; the app's database; verification; notifications
  ['plan'], // pure planners: steps, strategies, describe
  ['executor'], // run a plan: step handlers, progress, observe hosts, run/resume deployments
  ['monitor'], // collection, alerts, auto-rollback (runs a deployment)
  ['control-plane'], // the wiring the CLI and the server share: config + store + hosts + ports for one project
  ['operations'], // one use case each: deploy, rollback, promote, approve, status …
  ['server', 'triggers'], // entry points: the HTTP API and jobs; continuous deployment (git, webhooks)
  ['cli', 'web'], // entry points: one file per verb; the dashboard (its own bundle)
];

// Known upward imports of today's tree: file → the folder it may still import (by value). Each is a debt of the
// house redesign (issue 19) and goes when the import does: the rule reports an entry that is no longer needed, so
// this list only shrinks. Never add to it: move the shared code down, or pass it in.
export const EXCEPTIONS = [];
