/**
 * Every default of the fleet, in one place: the config schema fills them in and the constructs
 * document (and fall back to) the same values, so the two cannot drift apart.
 */
export const DEFAULTS = {
  service: "cloudrim",
  listenerPort: 9000,
  basePort: 9000,
  instanceType: "m5.large",
  internal: true,
  /** Days replaced versions of state files and releases are kept. */
  noncurrentVersionDays: 90,
  privateZone: false,
  createHostedZone: false,
  weight: 1,
  /** At least one instance per zone of two: one instance's failure, or its zone's, is not an outage. */
  capacity: { min: 2, desired: 2, max: 4 },
  /** From the original design: TCP check, timeout 2 s, every 20 s, healthy after 3, unhealthy after 5. */
  healthCheck: { timeout: 2, interval: 20, healthyThreshold: 3, unhealthyThreshold: 5 },
  healthCheckGracePeriod: 300,
  instanceRefresh: true,
  /** AWS's own default for classic load balancers. */
  connectionDrainingTimeout: 300,
  loadBalancerType: "classic",
  app: { command: "node server.js", user: "cloudrim" },
  stateKeyPrefix: "cloudrim",
  ssm: true,
  rootVolumeSize: 16,
  /** Target tracking on average CPU: with n+1 busy processes per instance, CPU is what saturates first. */
  scaling: { cpuTarget: 60 },
  /**
   * Minutes a port may have no healthy instance before its alarm fires (and a port may serve badly); a
   * classic load balancer's average seconds to reach an instance, and backend errors a minute per port,
   * above which a port serves badly.
   */
  alarms: { minutes: 3, latencySeconds: 0.5, backendErrors: 10 },
  /**
   * Liveness on the host: a process that answers no probe (3 s each) for 30 s is restarted; the third
   * restart of one port within 15 minutes hands the instance to its group; so do most ports silent together
   * for 10 minutes; a hand-over waits while another instance of the group is out of service.
   */
  watchdog: {
    failAfterSeconds: 30,
    probeTimeoutSeconds: 3,
    maxRestarts: 3,
    windowMinutes: 15,
    handOverAfterSeconds: 600,
    maxHandOvers: 1,
  },
  /** Days CloudWatch Logs keeps the instances' logs. */
  logs: { retentionDays: 30 },
  /**
   * Seconds a new instance has, from launch, to boot and answer on every port before its launch is
   * abandoned (the launch lifecycle hook's heartbeat).
   */
  bootTimeoutSeconds: 600,
  /** AWS's practice: a region proves a change for ten minutes before the next wave starts. */
  rollout: { bakeSeconds: 600 },
} as const;

/**
 * The local fleet's deployment name (regions/local.ts): a fleet by any other name is one somebody is paged
 * for, and is warned when its alarms notify nobody.
 */
export const LOCAL_DEPLOYMENT = "local";
