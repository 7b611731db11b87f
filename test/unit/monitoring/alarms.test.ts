import {
  allPortsDownRule,
  belowDesiredAlarmSpec,
  belowDesiredMinutes,
  guardMinutes,
  logCountAlarmSpec,
  minutesShownIn,
  portUnhealthyAlarmSpec,
  shareGroup,
  SHARE_MIN_PER_MINUTE,
  SHARE_TOLERANCE,
  trafficShareAlarmSpec,
  portAlarmSpec,
} from "../../../monitoring/alarms";
import { portTrafficMetric, portHealthMetric, type PortMetricSource } from "../../../monitoring/metrics";
import { dashboardBody, dashboardUrl, metricLineDimensions, type DashboardWidget } from "../../../monitoring/dashboard";
import { classicPort as classic, networkPort as network } from "../../fixtures";

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

  it("draws each port's backend errors beside its traffic: the metric its serving alarm counts", () => {
    const traffic = (source: PortMetricSource) =>
      (dashboardBody({ ...input, ports: [source] }).widgets.find((w) => w.y === 9)?.properties.metrics ??
        []) as unknown[][];
    const [classicErrors] = traffic(classic(9000)).filter((l) => l[1] === "BackendConnectionErrors");
    expect(classicErrors).toEqual([
      "AWS/ELB",
      "BackendConnectionErrors",
      "LoadBalancerName",
      "shop-prod-9000",
      { stat: "Sum", label: "backend errors" },
    ]);
    const [resets] = traffic(network(9000)).filter((l) => l[1] === "TCP_Target_Reset_Count");
    expect(resets).toEqual([
      "AWS/NetworkELB",
      "TCP_Target_Reset_Count",
      "LoadBalancer",
      "net/shop-prod-9000/50dc6c495c0c9188",
      { stat: "Sum", label: "target resets" },
    ]);
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

describe("a port's unhealthy-instance alarm", () => {
  it("fires when any instance fails the port's check for the configured minutes; no data is no failure", () => {
    expect(portUnhealthyAlarmSpec(classic(9002), 3)).toMatchObject({
      metric: {
        namespace: "AWS/ELB",
        metricName: "UnHealthyHostCount",
        dimensions: { LoadBalancerName: "shop-prod-9002" },
      },
      statistic: "Maximum",
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    });
    expect(portUnhealthyAlarmSpec(network(9002), 3).metric).toEqual({
      namespace: "AWS/NetworkELB",
      metricName: "UnHealthyHostCount",
      dimensions: {
        TargetGroup: "targetgroup/shop-prod-9002/73e2d6bc24d8a067",
        LoadBalancer: "net/shop-prod-9002/50dc6c495c0c9188",
      },
    });
  });

  it("tells the reader which log stream says why", () => {
    expect(portUnhealthyAlarmSpec(classic(9002), 3).description).toContain("{instance}/9002");
  });
});

describe("a port's traffic-share alarm", () => {
  const weights = (entries: [number, number][]) => new Map(entries);
  const sources = (ports: number[]) => new Map(ports.map((p) => [p, classic(p)]));

  it("judges a port against its group of ten weighted ports, skipping weight 0", () => {
    const twelve = weights([...Array(12).keys()].map((i) => [9000 + i, i === 3 ? 0 : 1]));
    expect(shareGroup(9000, twelve)).toEqual([9000, 9001, 9002, 9004, 9005, 9006, 9007, 9008, 9009, 9010]);
    // 9011 would be alone in its group of ten: it is judged against the last ten weighted ports instead.
    expect(shareGroup(9011, twelve)).toEqual([9001, 9002, 9004, 9005, 9006, 9007, 9008, 9009, 9010, 9011]);
  });

  it("compares the port's share of its group's requests with its weight's share, once the group is busy", () => {
    const spec = trafficShareAlarmSpec(
      9001,
      sources([9000, 9001, 9002]),
      weights([
        [9000, 1],
        [9001, 2],
        [9002, 1],
      ]),
      10,
    );
    expect(spec?.queries[0]).toEqual({
      id: "drift",
      expression: `IF(SUM([r9000, r9001, r9002]) >= ${SHARE_MIN_PER_MINUTE}, ABS(r9001 / SUM([r9000, r9001, r9002]) - 0.5000) / 0.5000, 0)`,
      label: "port 9001: drift from its 50.0% share",
    });
    expect(spec?.queries.slice(1)).toEqual(
      [9000, 9001, 9002].map((p) => ({ id: `r${p}`, metric: portTrafficMetric(classic(p)), stat: "Sum", period: 60 })),
    );
    expect(spec).toMatchObject({ evaluationPeriods: 10, datapointsToAlarm: 10, threshold: SHARE_TOLERANCE });
  });

  it("counts new flows on a network load balancer", () => {
    expect(portTrafficMetric(network(9000))).toEqual({
      namespace: "AWS/NetworkELB",
      metricName: "NewFlowCount",
      dimensions: { LoadBalancer: "net/shop-prod-9000/50dc6c495c0c9188" },
    });
  });

  it("is not made for a port weighted 0 or a port with no other weighted port to compare with", () => {
    const all = sources([9000, 9001]);
    expect(
      trafficShareAlarmSpec(
        9001,
        all,
        weights([
          [9000, 1],
          [9001, 0],
        ]),
        10,
      ),
    ).toBeUndefined();
    expect(
      trafficShareAlarmSpec(
        9000,
        all,
        weights([
          [9000, 1],
          [9001, 0],
        ]),
        10,
      ),
    ).toBeUndefined();
    expect(trafficShareAlarmSpec(9000, sources([9000]), weights([[9000, 1]]), 10)).toBeUndefined();
  });
});

describe("the datapoints a condition shows in", () => {
  it("are one more than the minutes it lasts, rounded up, as it may start anywhere in a minute", () => {
    expect([0, 1, 20, 60, 61, 360].map(minutesShownIn)).toEqual([1, 2, 2, 2, 3, 7]);
  });

  it("are fewer than a guard alarm's minutes, so a new instance settling across a minute's end does not fire it", () => {
    // 10 s of grace and two checks 5 s apart: 20 s, in up to 2 datapoints.
    expect(guardMinutes(10, { healthyThreshold: 2, interval: 5 }, 2)).toBe(3);
    expect(guardMinutes(300, { healthyThreshold: 3, interval: 20 }, 5)).toBe(8);
    expect(guardMinutes(0, { healthyThreshold: 2, interval: 5 }, 10)).toBe(10);
  });
});

describe("the region's below-desired alarm", () => {
  it("waits longer than a boot may take before it fires", () => {
    // 600 s shows in up to 11 one-minute datapoints (it may start late in a minute): 12 are needed to fire.
    expect(belowDesiredMinutes(600, 3)).toBe(12);
    expect(belowDesiredMinutes(120, 5)).toBe(5);
    expect(belowDesiredMinutes(121, 1)).toBe(5);
  });

  it("is desired minus in service, above zero", () => {
    const spec = belowDesiredAlarmSpec("shop-prod-us-east-1", 11);
    expect(spec.queries.map((q) => ("expression" in q ? q.expression : `${q.metric.metricName}/${q.stat}`))).toEqual([
      "desired - inService",
      "GroupDesiredCapacity/Minimum",
      "GroupInServiceInstances/Maximum",
    ]);
    expect(spec).toMatchObject({ threshold: 0, comparisonOperator: "GreaterThanThreshold", evaluationPeriods: 11 });
  });
});

describe("an alarm on a count from the logs", () => {
  it("fires in the first minute the count is above zero", () => {
    expect(logCountAlarmSpec("shop/prod", { metricName: "Restarts", description: "d" })).toEqual({
      metric: { namespace: "shop/prod", metricName: "Restarts", dimensions: {} },
      statistic: "Sum",
      period: 60,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      description: "d",
    });
  });
});
