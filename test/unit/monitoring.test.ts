import {
  allPortsDownRule,
  dashboardBody,
  dashboardUrl,
  metricLineDimensions,
  portAlarmSpec,
  portHealthMetric,
  type DashboardWidget,
  type PortMetricSource,
} from "../../lib/monitoring";

const classic = (port: number): PortMetricSource => ({ kind: "classic", port, loadBalancerName: `shop-prod-${port}` });
const network = (port: number): PortMetricSource => ({
  kind: "network",
  port,
  loadBalancer: `net/shop-prod-${port}/50dc6c495c0c9188`,
  targetGroup: `targetgroup/shop-prod-${port}/73e2d6bc24d8a067`,
});

/** Every metric line's dimension values of a widget, e.g. the load balancer names it draws. */
function dimensionValues(widget: DashboardWidget): string[] {
  return ((widget.properties.metrics ?? []) as unknown[][]).flatMap(metricLineDimensions);
}

describe("a port's health metric", () => {
  it("is the classic load balancer's HealthyHostCount by name", () => {
    expect(portHealthMetric(classic(9001))).toEqual({
      namespace: "AWS/ELB",
      metricName: "HealthyHostCount",
      dimensions: { LoadBalancerName: "shop-prod-9001" },
    });
  });

  it("is the target group's HealthyHostCount for a network load balancer, by both ARN suffixes", () => {
    expect(portHealthMetric(network(9001))).toEqual({
      namespace: "AWS/NetworkELB",
      metricName: "HealthyHostCount",
      dimensions: {
        TargetGroup: "targetgroup/shop-prod-9001/73e2d6bc24d8a067",
        LoadBalancer: "net/shop-prod-9001/50dc6c495c0c9188",
      },
    });
  });
});

describe("a port's alarm", () => {
  it("fires after the configured minutes in a row with no healthy instance on any node, missing data counting as none", () => {
    expect(portAlarmSpec(classic(9000), 5, "shop0.prod.us-east-1.example.com")).toEqual({
      metric: portHealthMetric(classic(9000)),
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
      description:
        "Port 9000 has had no healthy instance for 5 minutes: shop0.prod.us-east-1.example.com answers nothing, and the weighted set sends its share to the other ports.",
    });
    expect(portAlarmSpec(classic(9000), 1, "x").description).toMatch(
      /^Port 9000 has had no healthy instance for 1 minute:/,
    );
  });
});

describe("the region's alarm rule", () => {
  it("is in ALARM only when every port's alarm is, quoting each name", () => {
    expect(allPortsDownRule(["a-9000", "a-9001", "a-9002"])).toBe(
      'ALARM("a-9000") AND ALARM("a-9001") AND ALARM("a-9002")',
    );
    expect(allPortsDownRule(["only"])).toBe('ALARM("only")');
    expect(() => allPortsDownRule([])).toThrow(RangeError);
  });
});

describe("the region's dashboard", () => {
  const input = {
    region: "eu-west-1",
    groupName: "shop-prod-eu-west-1",
    cpuTarget: 60,
    ports: [9000, 9001, 9002].map(classic),
    alarmArns: ["arn:alarm:9000", "arn:alarm:9001", "arn:alarm:9002", "arn:alarm:region"],
  };
  const { widgets } = dashboardBody(input);

  it("opens with the status of every alarm, across the full width", () => {
    expect(widgets[0]).toEqual({
      type: "alarm",
      x: 0,
      y: 0,
      width: 24,
      height: 3,
      properties: { title: "alarms", alarms: input.alarmArns },
    });
  });

  it("then shows the group: CPU against the scaling target, in-service instances, desired capacity", () => {
    const group = widgets.filter((w) => w.y === 3);
    expect(group.map((w) => [w.properties.title, w.x, w.width])).toEqual([
      ["group · CPU (%)", 0, 8],
      ["group · in-service instances", 8, 8],
      ["group · desired capacity", 16, 8],
    ]);
    expect(group[0]?.properties.annotations).toEqual({ horizontal: [{ label: "scaling target", value: 60 }] });
    expect(group.flatMap(dimensionValues)).toEqual(Array(4).fill("shop-prod-eu-west-1"));
    const fixed = dashboardBody({ ...input, cpuTarget: undefined }).widgets.find((w) => w.y === 3);
    expect(fixed?.properties.annotations).toBeUndefined();
  });

  it("then one row per port, in port order: requests, healthy instances, latency of its classic load balancer", () => {
    const rows = [9, 15, 21].map((y) => widgets.filter((w) => w.y === y));
    expect(rows.map((r) => r.map((w) => w.properties.title))).toEqual(
      [9000, 9001, 9002].map((p) => [
        `port ${p} · requests`,
        `port ${p} · healthy instances`,
        `port ${p} · latency (s)`,
      ]),
    );
    rows.forEach((r, i) => {
      expect(new Set(r.flatMap(dimensionValues))).toEqual(new Set([`shop-prod-${9000 + i}`]));
    });
    expect(widgets).toHaveLength(1 + 3 + 9);
  });

  it("names every port's load balancer and nothing else: a fifth port adds its row, a removed one takes it away", () => {
    const names = (ports: readonly number[]) =>
      new Set(
        dashboardBody({ ...input, ports: ports.map(classic) })
          .widgets.filter((w) => w.y >= 9)
          .flatMap(dimensionValues),
      );
    expect(names([9000, 9001, 9002, 9003, 9004])).toEqual(
      new Set([9000, 9001, 9002, 9003, 9004].map((p) => `shop-prod-${p}`)),
    );
    expect(names([9000, 9001])).toEqual(new Set(["shop-prod-9000", "shop-prod-9001"]));
  });

  it("draws flows and target health for network load balancers, which report no latency", () => {
    const nlb = dashboardBody({ ...input, ports: [network(9000)] }).widgets.filter((w) => w.y === 9);
    expect(nlb.map((w) => [w.properties.title, w.x, w.width])).toEqual([
      ["port 9000 · flows", 0, 12],
      ["port 9000 · healthy instances", 12, 12],
    ]);
    expect(nlb.flatMap(dimensionValues)).toContain("targetgroup/shop-prod-9000/73e2d6bc24d8a067");
  });

  it("lays widgets on CloudWatch's 24-column grid without overlap", () => {
    const cells = new Set<string>();
    for (const w of widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++)
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it("is linked from the stack's outputs by its console address", () => {
    expect(dashboardUrl("eu-west-1", "shop-prod-eu-west-1")).toBe(
      "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/shop-prod-eu-west-1",
    );
  });
});
