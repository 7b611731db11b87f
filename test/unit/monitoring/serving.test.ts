import { portBackendErrorMetric, portLatencyMetric } from "../../../monitoring/metrics";
import {
  backendErrorAlarmSpec,
  latencyAlarmSpec,
  refreshAlarmNames,
  REFRESH_MAX_ALARMS,
} from "../../../monitoring/serving";
import { classicPort as classic, networkPort as network } from "../../fixtures";

describe("what a port's load balancer says about serving", () => {
  it("is a classic load balancer's Latency and BackendConnectionErrors, by name", () => {
    expect(portLatencyMetric(classic(9001))).toEqual({
      namespace: "AWS/ELB",
      metricName: "Latency",
      dimensions: { LoadBalancerName: "shop-prod-9001" },
    });
    expect(portBackendErrorMetric(classic(9001))).toEqual({
      namespace: "AWS/ELB",
      metricName: "BackendConnectionErrors",
      dimensions: { LoadBalancerName: "shop-prod-9001" },
    });
  });

  it("is no latency and the resets its targets send for a network load balancer", () => {
    expect(portLatencyMetric(network(9001))).toBeUndefined();
    expect(portBackendErrorMetric(network(9001))).toEqual({
      namespace: "AWS/NetworkELB",
      metricName: "TCP_Target_Reset_Count",
      dimensions: { LoadBalancer: "net/shop-prod-9001/50dc6c495c0c9188" },
    });
  });
});

describe("the latency alarm of a group of ports", () => {
  it("fires when the slowest port's average latency stays above the threshold for the fleet's minutes", () => {
    const spec = latencyAlarmSpec([classic(9000), classic(9001)], 0.5, 3);
    expect(spec).toMatchObject({
      queries: [
        { id: "latency", expression: "MAX([l9000, l9001])", label: "highest average latency, ports 9000-9001" },
        { id: "l9000", metric: portLatencyMetric(classic(9000)), stat: "Average", period: 60 },
        { id: "l9001", metric: portLatencyMetric(classic(9001)), stat: "Average", period: 60 },
      ],
      threshold: 0.5,
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      // No connections, no latency reported: nothing served badly.
      treatMissingData: "notBreaching",
    });
    expect(spec?.description).toMatch(
      /^A load balancer of ports 9000-9001 has taken more than 0.5 s on average .* 3 minutes/,
    );
  });

  it("does not exist for network load balancers, which report no latency", () => {
    expect(latencyAlarmSpec([network(9000)], 0.5, 3)).toBeUndefined();
  });

  it("holds one to ten ports, what one metric-math alarm can watch", () => {
    const eleven = Array.from({ length: 11 }, (_, i) => classic(9000 + i));
    expect(() => latencyAlarmSpec(eleven, 0.5, 3)).toThrow("a group holds 1-10 ports, not 11");
    expect(() => latencyAlarmSpec([], 0.5, 3)).toThrow("a group holds 1-10 ports, not 0");
  });
});

describe("the backend-errors alarm of a group of ports", () => {
  it("fires when one port's errors a minute stay above the threshold, naming what it counts", () => {
    const spec = backendErrorAlarmSpec([classic(9000)], 10, 4);
    expect(spec).toMatchObject({
      queries: [
        { id: "errors", expression: "MAX([e9000])", label: "most backend errors a minute, port 9000" },
        { id: "e9000", metric: portBackendErrorMetric(classic(9000)), stat: "Sum", period: 60 },
      ],
      threshold: 10,
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 4,
      datapointsToAlarm: 4,
      treatMissingData: "notBreaching",
    });
    expect(spec.description).toContain(
      "more than 10 failed connections to instances (BackendConnectionErrors) a minute",
    );
    expect(backendErrorAlarmSpec([network(9000), network(9001)], 0, 3).description).toContain(
      "more than 0 resets from instances (TCP_Target_Reset_Count) a minute",
    );
  });
});

describe("the alarms an instance refresh stops on", () => {
  it("are every alarm in order of importance when they fit", () => {
    expect(refreshAlarmNames([["guard"], ["boot", "below"], ["errors"], ["latency"]])).toEqual([
      "guard",
      "boot",
      "below",
      "errors",
      "latency",
    ]);
  });

  it("stop at AWS's ten, dropping the least important", () => {
    const guards = ["g0", "g1", "g2", "g3", "g4"];
    const errors = ["e0", "e1", "e2", "e3", "e4"];
    const names = refreshAlarmNames([guards, ["boot", "below"], errors, []]);
    expect(names).toHaveLength(REFRESH_MAX_ALARMS);
    expect(names).toEqual([...guards, "boot", "below", "e0", "e1", "e2"]);
  });
});
