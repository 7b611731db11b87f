import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { regionClients, type RegionClients } from "../../fleet/adapters/aws-clients";
import type { RegionShape } from "../../fleet/shape";
import { endpointPort } from "../../fleet/target";
import { afterCheck, classicAnswer, networkAnswer, REGISTERED, servingTargets, type TargetHealth } from "../health";
import {
  followedRegions,
  freeSlot,
  globalListener,
  instanceLink,
  regionListeners,
  type Listener,
  type RegionListeners,
} from "../network";
import { globalProxyConfig, proxyConfig, regionalNameHealthy, type BalancerServer } from "../proxy-config";
import type { LiveStatus } from "../status";
import { LiveInstance } from "./instance";
import { hostNodeArch } from "../../host/adapters/sandbox";
import { nodeTarball } from "../../instance/adapters/node-cache";
import { PINNED_NODE } from "../../instance/release";
import { claimNetwork, liveNamespaces, releaseNetwork, removeNamespace } from "./namespace";
import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { PortMetricSource } from "../../monitoring/metrics";
import {
  balancerDatums,
  countedSince,
  groupDatums,
  metricRequests,
  parseStats,
  untilMidMinute,
  type BackendCounters,
  type MetricDatum,
} from "../metrics";
import { launchedUserData, observeGroup, observeMetricSources, observeRegistrations, type RegionView } from "./observe";
import { probe } from "./probe";
import { readStats, RegionProxyProcess } from "./proxy";

export class LiveFleetError extends Error {}

/** One check per second, whatever the fleet's interval (stated in the local target's substitution lines). */
export const CHECK_INTERVAL_MS = 1000;
/**
 * How long a boot waits for its ports before it abandons the launch (CLOUDRIM_READY_SECONDS): on AWS half the
 * launch hook's timeout, minutes; here a boot that will answer does within seconds.
 */
export const READY_SECONDS = 30;

/** How often the load balancers' registrations are read when the group's instances did not change. */
export const REGISTRATIONS_MS = 5000;

/** How long a deregistered instance keeps running for the connections it has, before it is stopped. */
export const DRAIN_MS = 2000;

export interface LiveFleetOptions {
  readonly regions: readonly RegionShape[];
  readonly endpoint: string;
  /** Where the instances' roots, the proxies' configurations, the health and status files live. */
  readonly directory: string;
  readonly log: (line: string) => void;
  /**
   * Seconds in a local minute: each one, the load balancers' and groups' metrics are put to the local CloudWatch
   * (live/metrics.ts), whose alarms the local AWS evaluates on the same minute. @default none: no metrics are put
   */
  readonly minuteSeconds?: number;
}

interface RegionState {
  /** As the fleet file says now (follow()), or as it last said for a region it no longer names. */
  shape: RegionShape;
  listeners: RegionListeners;
  readonly clients: RegionClients;
  /** By load balancer name, by instance id. */
  readonly health: Map<string, Map<string, TargetHealth>>;
  /** The registrations last read, when, and the group's instances then. */
  registrations?: { readonly view: RegionView["registered"]; readonly at: number; readonly instances: string };
  proxy?: RegionProxyProcess;
  /** The group as last observed: its desired capacity and instances in service. */
  group?: { readonly desired: number; readonly inService: number };
  /** Where each port reports, by port, once known. */
  sources?: Map<number, PortMetricSource>;
  /** Each load balancer's proxy counters when its metrics were last put, by load balancer name. */
  counters: Map<string, BackendCounters>;
}

/**
 * The live fleet: every instance the local AWS launches, booted in a namespace of its own; each region's load
 * balancers as one haproxy; each registered instance checked as its load balancers check it; what they would
 * answer published for the local AWS (the health file) and for the commands (status.json).
 */
export class LiveFleet {
  private readonly instances = new Map<
    string,
    { region: string; slot?: number; instance?: LiveInstance; failedAt?: number }
  >();
  /** Slots of instances still draining: their links exist until they stop. */
  private readonly drainingSlots = new Set<number>();
  private regions: RegionState[];
  private readonly awsPort: number;
  private lastHealth = "";
  private stopping = false;
  private started = false;
  private loop: Promise<void> = Promise.resolve();
  private metricsTimer?: NodeJS.Timeout;
  /** Where the name that spans regions listens, and its proxy; none for a fleet without a global name. */
  private globalAt?: Listener;
  private globalProxy?: RegionProxyProcess;

  constructor(private readonly options: LiveFleetOptions) {
    this.awsPort = endpointPort(options.endpoint);
    this.regions = [];
    this.follow(options.regions);
  }

  /**
   * Follows the fleet file as it changes: a region's new ports get their load balancers, and a new region its
   * proxy, at addresses that never move (live/network.ts: the fleet's order, a new region after the others). A
   * region the file no longer names keeps running as it was until the local AWS has none of its instances left
   * (a retire destroys them): its instances still run there until then.
   */
  follow(regions: readonly RegionShape[]): void {
    const shapes = followedRegions(
      this.regions.map((state) => state.shape),
      regions,
    );
    const listeners = regionListeners(shapes);
    this.globalAt = globalListener(shapes);
    this.regions = shapes.map((shape, i) => {
      const state = this.regions.find((s) => s.shape.region === shape.region);
      const at = listeners[i] as RegionListeners;
      if (state === undefined) {
        const fresh: RegionState = {
          shape,
          listeners: at,
          clients: regionClients({ kind: "local", endpoint: this.options.endpoint }, shape.region),
          health: new Map(),
          counters: new Map(),
        };
        // A region added while running gets its proxy now; at the start, start() makes them.
        if (this.started)
          fresh.proxy = RegionProxyProcess.start(this.options.directory, shape.region, this.configOf(fresh));
        return fresh;
      }
      state.shape = shape;
      state.listeners = at;
      // A new port's load balancer: where it reports is read again.
      state.sources = undefined;
      return state;
    });
  }

  static healthFile(directory: string): string {
    return join(directory, "health.json");
  }

  static statusFile(directory: string): string {
    return join(directory, "status.json");
  }

  /**
   * Takes this machine's live fleet (one at a time: they would share addresses), clears what a runner that died
   * left (its namespaces), claims the instance range, starts the proxies.
   */
  start(): void {
    takeMachine();
    // The pinned Node.js a boot installs, served by each instance's mirror stand-in from the cache (downloaded once).
    nodeTarball(hostNodeArch(), PINNED_NODE.version);
    mkdirSync(this.options.directory, { recursive: true });
    // The service user runs each app from inside its instance's root: every directory above it must let it through.
    rmSync(INSTANCES_DIR, { recursive: true, force: true });
    mkdirSync(INSTANCES_DIR, { mode: 0o755 });
    for (const namespace of liveNamespaces()) removeNamespace(namespace);
    claimNetwork();
    this.started = true;
    for (const region of this.regions) {
      region.proxy = RegionProxyProcess.start(this.options.directory, region.shape.region, this.configOf(region));
    }
    const global = this.globalConfig();
    if (global !== undefined) this.globalProxy = RegionProxyProcess.start(this.options.directory, GLOBAL, global);
  }

  /** One round: what the local AWS says now, made so on this machine. */
  async tick(): Promise<void> {
    const launching: Promise<void>[] = [];
    for (const region of this.regions) {
      let view: RegionView;
      try {
        view = await this.observe(region);
      } catch (error) {
        this.options.log(`${region.shape.region}: the local AWS did not answer (${String(error)}); trying again`);
        continue;
      }
      for (const id of view.instances.keys()) {
        const known = this.instances.get(id);
        if (known === undefined || (known.instance === undefined && (known.failedAt ?? 0) < Date.now() - 10_000)) {
          launching.push(this.launch(region, id));
        }
      }
      for (const [id, known] of this.instances) {
        if (known.region === region.shape.region && !view.instances.has(id)) this.retire(id);
      }
      await this.check(region, view.registered);
      if (region.proxy?.running === false) {
        this.options.log(`${region.shape.region}: haproxy stopped: ${region.proxy.lastErrors.trim()}`);
        region.proxy = RegionProxyProcess.start(this.options.directory, region.shape.region, this.configOf(region));
      } else {
        region.proxy?.apply(this.configOf(region));
      }
    }
    await Promise.all(launching);
    const global = this.globalConfig();
    if (global !== undefined && this.globalProxy?.running === false) {
      this.options.log(`the global name's haproxy stopped: ${this.globalProxy.lastErrors.trim()}`);
      this.globalProxy = RegionProxyProcess.start(this.options.directory, GLOBAL, global);
    } else if (global !== undefined) {
      this.globalProxy?.apply(global);
    }
    this.publish();
  }

  /** The name that spans regions, as Route 53's latency records answer it (live/proxy-config.ts). */
  private globalConfig(): string | undefined {
    if (this.globalAt === undefined) return undefined;
    const members = this.regions.map((region) => ({
      region: region.shape.region,
      listener: region.listeners.regional,
      healthy: regionalNameHealthy(this.serversOf(region)),
    }));
    return globalProxyConfig(this.globalAt, members, join(this.options.directory, `haproxy-${GLOBAL}.sock`));
  }

  /**
   * The group each round; the load balancers' registrations when its instances changed (the group registers and
   * deregisters them) and every REGISTRATIONS_MS otherwise (an attachment changed): each call costs the local AWS.
   */
  private async observe(region: RegionState): Promise<RegionView> {
    const { instances, desired } = await observeGroup(region.clients, region.shape);
    region.group = { desired, inService: [...instances.values()].filter((state) => state === "InService").length };
    const key = [...instances.keys()].sort().join();
    const last = region.registrations;
    if (last !== undefined && last.instances === key && Date.now() - last.at < REGISTRATIONS_MS) {
      return { instances, registered: last.view };
    }
    const registered = await observeRegistrations(region.clients, region.shape);
    region.registrations = { view: registered, at: Date.now(), instances: key };
    return { instances, registered };
  }

  private async launch(region: RegionState, instanceId: string): Promise<void> {
    const used = new Set([
      ...this.drainingSlots,
      ...[...this.instances.values()].flatMap((k) => (k.slot === undefined ? [] : [k.slot])),
    ]);
    const link = instanceLink(freeSlot(used), instanceId);
    const record = { region: region.shape.region, slot: link.slot };
    this.instances.set(instanceId, record);
    try {
      const userData = await launchedUserData(region.clients, instanceId);
      const instance = await LiveInstance.launch(
        {
          instanceId,
          region: region.shape,
          userData,
          link,
          awsPort: this.awsPort,
          readySeconds: Math.min(READY_SECONDS, region.shape.boot.readySeconds),
          directory: join(INSTANCES_DIR, instanceId),
        },
        (boot) => {
          // Its directory goes with it: what a failed boot said stays here.
          const said = boot.output.trim().split("\n").slice(-6).join("\n    ");
          const how = boot.status === 0 ? "booted" : `boot failed (exit ${boot.status})`;
          this.options.log(`${region.shape.region}: ${instanceId} ${how}${boot.status === 0 ? "" : `:\n    ${said}`}`);
        },
      );
      if (this.instances.get(instanceId) !== record) {
        // It left its group while it was starting.
        await instance.terminate();
        return;
      }
      this.instances.set(instanceId, { ...record, instance });
      this.options.log(`${region.shape.region}: ${instanceId} launched, booting at ${link.instanceAddress}`);
    } catch (error) {
      if (this.instances.get(instanceId) === record) {
        this.instances.set(instanceId, { region: region.shape.region, failedAt: Date.now() });
      }
      this.options.log(`${region.shape.region}: ${instanceId} could not start: ${String(error)}`);
    }
  }

  /** Out of every load balancer now (it is no longer registered); stopped once its connections had time to end. */
  private retire(instanceId: string): void {
    const known = this.instances.get(instanceId);
    this.instances.delete(instanceId);
    if (known?.instance === undefined) return;
    const { instance } = known;
    const slot = instance.spec.link.slot;
    this.drainingSlots.add(slot);
    this.options.log(`${known.region}: ${instanceId} left its group; stopping it in ${DRAIN_MS / 1000} s`);
    setTimeout(() => {
      void instance.terminate().then(() => {
        this.drainingSlots.delete(slot);
        this.options.log(`${known.region}: ${instanceId} stopped, its namespace removed`);
      });
    }, DRAIN_MS);
  }

  /** The instance, once its boot completed its launch hook: what AWS registers with its load balancers. */
  private bootedInstance(id: string): LiveInstance | undefined {
    const instance = this.instances.get(id)?.instance;
    return instance?.boot?.status === 0 ? instance : undefined;
  }

  private async check(region: RegionState, registered: ReadonlyMap<string, ReadonlySet<string>>): Promise<void> {
    const { healthCheck } = region.shape;
    const timeoutMs = Math.min(healthCheck.timeout * 1000, CHECK_INTERVAL_MS - 100);
    const checks: Promise<void>[] = [];
    for (const port of region.shape.ports) {
      const members = registered.get(port.loadBalancerName) ?? new Set<string>();
      const previous = region.health.get(port.loadBalancerName) ?? new Map<string, TargetHealth>();
      const next = new Map<string, TargetHealth>();
      region.health.set(port.loadBalancerName, next);
      for (const id of members) {
        const health = previous.get(id) ?? REGISTERED;
        next.set(id, health);
        const instance = this.bootedInstance(id);
        // AWS registers an instance once its launch hook completes: until its boot has, registration is in progress.
        if (instance === undefined) continue;
        checks.push(
          probe(instance.address, port.port, healthCheck.path, timeoutMs).then((passed) => {
            const after = afterCheck(health, passed, healthCheck);
            if (after.status !== health.status) {
              this.options.log(`${region.shape.region}: ${id} on ${port.loadBalancerName}: ${after.status}`);
            }
            next.set(id, after);
          }),
        );
      }
    }
    await Promise.all(checks);
  }

  private configOf(region: RegionState): string {
    const weights = new Map(region.shape.ports.map((p) => [p.loadBalancerName, p.weight]));
    return proxyConfig(
      { listeners: region.listeners, servers: this.serversOf(region), weights },
      join(this.options.directory, `haproxy-${region.shape.region}.sock`),
    );
  }

  /** Each of the region's load balancers' instances, by load balancer name, as the proxies see them. */
  private serversOf(region: RegionState): Map<string, BalancerServer[]> {
    const servers = new Map<string, BalancerServer[]>();
    for (const port of region.shape.ports) {
      const targets = region.health.get(port.loadBalancerName) ?? new Map<string, TargetHealth>();
      const serving = servingTargets(region.shape.loadBalancerType, targets);
      servers.set(
        port.loadBalancerName,
        [...targets].flatMap(([id, health]) => {
          const instance = this.instances.get(id)?.instance;
          return instance === undefined
            ? []
            : [
                {
                  instanceId: id,
                  address: instance.address,
                  serving: serving.has(id),
                  healthy: health.status === "healthy",
                },
              ];
        }),
      );
    }
    return servers;
  }

  private publish(): void {
    const health: Record<string, Record<string, Record<string, Record<string, unknown>>>> = {
      classic: {},
      network: {},
    };
    const status: LiveStatus = { updated: new Date().toISOString(), regions: {} };
    for (const region of this.regions) {
      const kind = region.shape.loadBalancerType;
      const answers: Record<string, Record<string, unknown>> = {};
      const balancers: Record<string, Record<string, TargetHealth["status"]>> = {};
      for (const [name, targets] of region.health) {
        answers[name] = Object.fromEntries(
          [...targets].map(([id, h]) => [id, kind === "classic" ? classicAnswer(h) : networkAnswer(h)]),
        );
        balancers[name] = Object.fromEntries([...targets].map(([id, h]) => [id, h.status]));
      }
      (health[kind] as Record<string, unknown>)[region.shape.region] = answers;
      status.regions[region.shape.region] = {
        instances: Object.fromEntries(
          [...this.instances].flatMap(([id, known]) =>
            known.region !== region.shape.region || known.instance === undefined
              ? []
              : [
                  [
                    id,
                    {
                      address: known.instance.address,
                      boot:
                        known.instance.boot === undefined
                          ? ("running" as const)
                          : known.instance.boot.status === 0
                            ? ("succeeded" as const)
                            : ("failed" as const),
                    },
                  ],
                ],
          ),
        ),
        balancers,
      };
    }
    const text = JSON.stringify(health);
    if (text !== this.lastHealth) {
      writeAtomically(LiveFleet.healthFile(this.options.directory), text);
      this.lastHealth = text;
    }
    writeAtomically(LiveFleet.statusFile(this.options.directory), `${JSON.stringify(status, null, 2)}\n`);
  }

  /**
   * Puts one local minute's metrics of every region: its load balancers' (health from the checks, traffic from the
   * proxy's counters) and its group's capacity. A region the local AWS or the proxy does not answer for is left out
   * of this minute (its alarms see missing data, as they would on AWS), and said in the log.
   */
  async putMetrics(): Promise<void> {
    for (const region of this.regions) {
      try {
        await this.putRegionMetrics(region);
      } catch (error) {
        this.options.log(`${region.shape.region}: metrics not put this minute (${String(error)})`);
      }
    }
  }

  private async putRegionMetrics(region: RegionState): Promise<void> {
    if (region.sources === undefined || region.sources.size < region.shape.ports.length) {
      region.sources = await observeMetricSources(region.clients, region.shape);
    }
    const stats = parseStats(await readStats(join(this.options.directory, `haproxy-${region.shape.region}.sock`)));
    const datums: MetricDatum[] = [];
    for (const port of region.shape.ports) {
      const source = region.sources.get(port.port);
      const now = stats.get(`${port.loadBalancerName}-instances`);
      if (source === undefined || now === undefined) continue;
      const counted = countedSince(region.counters.get(port.loadBalancerName), now);
      region.counters.set(port.loadBalancerName, now);
      // Only the instances AWS would have registered: those whose boot completed their launch hook. One still
      // booting (Pending:Wait) or abandoned is not behind any load balancer yet, and counts in neither.
      const targets = [...(region.health.get(port.loadBalancerName) ?? [])]
        .filter(([id]) => this.bootedInstance(id) !== undefined)
        .map(([, health]) => health);
      const healthy = targets.filter((t) => t.status === "healthy").length;
      datums.push(...balancerDatums({ source, healthy, unhealthy: targets.length - healthy, counted }));
    }
    if (region.group !== undefined) {
      datums.push(...groupDatums(region.shape.autoScaling.name, region.group.desired, region.group.inService));
    }
    for (const request of metricRequests(datums)) {
      await region.clients.cloudWatch.send(
        new PutMetricDataCommand({ Namespace: request.namespace, MetricData: request.data }),
      );
    }
  }

  /** Runs a round each CHECK_INTERVAL_MS until stopped, and puts the metrics in the middle of each local minute. */
  run(): void {
    this.loop = (async () => {
      while (!this.stopping) {
        const started = Date.now();
        await this.tick();
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, CHECK_INTERVAL_MS - (Date.now() - started))));
      }
    })();
    const { minuteSeconds } = this.options;
    if (minuteSeconds === undefined) return;
    const putEachMinute = () => {
      this.metricsTimer = setTimeout(
        () => {
          void this.putMetrics().finally(() => {
            if (!this.stopping) putEachMinute();
          });
        },
        untilMidMinute(Date.now(), minuteSeconds),
      );
    };
    putEachMinute();
  }

  /** Stops the proxies and every instance, removes their namespaces and the range's route, and the health file. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.metricsTimer);
    await this.loop;
    await Promise.all(this.regions.map((r) => r.proxy?.stop() ?? Promise.resolve()));
    await this.globalProxy?.stop();
    const running = [...this.instances.values()].flatMap((k) => (k.instance === undefined ? [] : [k.instance]));
    this.instances.clear();
    await Promise.all(running.map((i) => i.terminate()));
    for (const namespace of liveNamespaces()) removeNamespace(namespace);
    releaseNetwork();
    // Everything it wrote, so that whoever started it (through sudo, perhaps) can remove the directory.
    const { directory } = this.options;
    for (const file of [LiveFleet.healthFile(directory), LiveFleet.statusFile(directory)])
      rmSync(file, { force: true });
    for (const name of [...this.regions.map((r) => r.shape.region), GLOBAL]) {
      for (const suffix of ["cfg", "sock"]) rmSync(join(directory, `haproxy-${name}.${suffix}`), { force: true });
    }
    rmSync(INSTANCES_DIR, { recursive: true, force: true });
    rmSync(MACHINE_LOCK, { force: true });
  }
}

/** The global name's proxy's files are named as a region's would be: no AWS region is called this. */
const GLOBAL = "global";

/** Each running instance's root and boot log, in a directory of its own (one live fleet runs per machine). */
export const INSTANCES_DIR = join(tmpdir(), "cloudrim-live-instances");

/** Names the one live fleet running on this machine: its runner's pid. */
export const MACHINE_LOCK = "/run/cloudrim-live.lock";

function takeMachine(): void {
  if (existsSync(MACHINE_LOCK)) {
    const pid = Number(readFileSync(MACHINE_LOCK, "utf8").split("\n")[0]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      alive = false;
    }
    if (alive) {
      throw new LiveFleetError(
        `another live fleet runs on this machine (pid ${pid}, ${MACHINE_LOCK}); they would share its addresses: stop it first (make teardown, or kill ${pid})`,
      );
    }
  }
  writeFileSync(MACHINE_LOCK, `${process.pid}\n`);
}

function writeAtomically(path: string, text: string): void {
  const next = `${path}.next`;
  writeFileSync(next, text);
  renameSync(next, path);
}
