/** Every default Slipway applies, in one place (the schema and docs read them from here). */
export const DEFAULTS = {
  configFile: 'slipway.yml',
  /** Most web instances (`run.instances`) per host. */
  maxInstances: 64,
  stateDir: '.slipway',
  healthCheck: {
    path: '/healthz',
    interval: '1s',
    timeout: '2s',
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    startTimeout: '30s',
  },
  strategy: {
    keepWarm: '5m',
    drainTimeout: '30s',
  },
  canary: {
    header: 'X-Slipway-Canary',
    cookie: 'slipway_canary',
    analysisInterval: '2s',
    minRequests: 50,
    confidence: 0.99,
    maxErrorRate: 0.05,
    errorRateTolerance: 0.01,
    latencyTolerance: 0.2,
    latencyMinDifference: '10ms',
    inlineTimeout: '5m',
    tripwire: true,
  },
  restart: {
    initialBackoff: '200ms',
    maxBackoff: '10s',
  },
  stopTimeout: '10s',
  /** Worker processes (`processes`): how a new instance proves itself. */
  worker: { settle: '5s', checkTimeout: '30s' },
  /** How long a secret's command (`secretSources`) may run: a password manager may wait for an unlock. */
  secretCommandTimeout: '30s',
  hookTimeout: '5m',
  /** A scheduled job's run (`cron`) that takes longer is killed. */
  cronTimeout: '1h',
  retainReleases: 5,
  preflight: {
    /** Free disk a host needs under its agent home before a deploy (artifacts and unpacked releases kept). */
    requiredDiskBytes: 256 * 1024 * 1024,
    minMemoryBytes: 128 * 1024 * 1024,
  },
  bindAddress: '0.0.0.0',
  /** A host's front door (issue 16): the ports every environment with `domains` on the host shares. */
  frontDoor: { httpPort: 80, httpsPort: 443, bindAddress: '0.0.0.0' },
  tls: {
    redirect: true,
    acmeDirectory: 'letsencrypt',
    /** Only used once `hsts` is given: HSTS is opt-in. */
    hsts: { maxAge: '365d', includeSubDomains: false, preload: false },
  },
  /**
   * How an edge fails over between the app hosts' routers (docs/architecture.md, "Rolling updates and the edge"):
   * a cut link costs a request at most `answerTimeout.min` (the floor of the member's recent p99) plus the retry.
   */
  edge: {
    connectTimeout: '1s',
    answerTimeout: { min: '1s', max: '10s' },
    retryBudget: 0.2,
    ejectAfter: 3,
  },
  pipeline: {
    promote: 'manual' as 'manual' | 'automatic',
    freezeOverrideRoles: ['admin'],
  },
  bake: {
    interval: '2s',
    maxErrorRate: 0.05,
    minRequests: 50,
  },
  approvals: {
    allowSelfApproval: false,
    expiresAfter: '24h',
  },
  monitoring: {
    interval: '15s',
    sampleInterval: '5s',
    window: '1m',
    youngFor: '30m',
    alertFor: '0s',
    probe: { path: '/', timeout: '5s', failures: 2, tlsMinValidity: '7d' },
    crashLoop: { restarts: 3, within: '5m' },
    errorBurst: { minErrors: 10 },
    retention: { raw: '1h', minute: '24h', tenMinutes: '30d' },
  },
  verify: {
    smokeTimeLimit: '5s',
    connections: 10,
    loadDuration: '3s',
    /** The load run never lasts longer, whatever the config says. */
    maxLoadDurationMs: 60_000,
    maxThroughputDrop: 0.2,
    maxP95Increase: 0.3,
    maxP99Increase: 0.5,
    minLatencyIncrease: '10ms',
    maxErrorRate: 0.01,
    forbiddenPaths: ['/.git/', '/.git/config', '/.env', '/.svn/', '/.DS_Store'],
    tlsMinDaysValid: 14,
    commandTimeout: '60s',
  },
  watch: { branch: 'main', interval: '30s', version: '{shortSha}' },
  webhook: {
    port: 8430,
    bindAddress: '127.0.0.1',
    secret: 'WEBHOOK_SECRET',
    maxBodyBytes: 1024 * 1024,
    replayTolerance: '10m',
  },
  notifications: { timeout: '5s', retries: 2, initialBackoff: '500ms', flushTimeout: '15s' },
  runtime: {
    dockerfile: 'Dockerfile',
    socket: '/var/run/docker.sock',
    /** How long the deploy's registry check waits for the registry's answer. */
    registryCheckTimeoutMs: 15_000,
  },
  database: {
    migrationsDir: 'migrations',
    backupRequired: true,
    backupRetain: 5,
    /** How long a migration waits for another deploy's migration lock on the same database. */
    lockTimeoutMs: 10 * 60 * 1000,
  },
} as const;
