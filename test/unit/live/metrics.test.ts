import {
  arnSuffix,
  balancerDatums,
  countedSince,
  groupDatums,
  metricRequests,
  parseStats,
  untilMidMinute,
  type BackendCounters,
} from "../../../live/metrics";
import { guardAlarmSpec, portAlarmSpec, portUnhealthyAlarmSpec } from "../../../monitoring/alarms";
import { backendErrorAlarmSpec, latencyAlarmSpec } from "../../../monitoring/serving";
import type { PortMetricSource } from "../../../monitoring/metrics";

// haproxy 2.x's `show stat`, as a live fleet's proxy answered it (a server row, two backends).
const SHOW_STAT = [
  "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,",
  "shop-e2e-9000-instances,i-c92485e88a1c5f9e8,0,0,0,1,,353,21180,83661,,0,,0,0,0,0,no check,1,1,0,,,186,,,1,5,1,,353,,2,2,,5,,,,,,,,,,,,,,0,0,,,,,1,,,0,1,0,2,,,,,,,,,,,,10.213.0.18:9000,,tcp,,,,,,,,0,353,0,,,0,,0,1,0,15,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,",
  "shop-e2e-9000-instances,BACKEND,0,0,0,2,410,705,42300,167085,0,0,,0,0,0,0,UP,2,2,0,,0,186,0,,1,5,0,,705,,1,4,,10,,,,,,,,,,,,,,0,0,0,0,0,0,1,,,0,0,0,2,,,,,,,,,,,,,,tcp,roundrobin,,,,,,,0,705,0,,,,,0,3,0,15,0,,,,,2,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,",
  "weighted-set,BACKEND,0,0,0,2,410,1398,83880,331326,0,0,,0,0,0,0,UP,2,2,0,,0,186,0,,1,3,0,,1398,,1,9,,10,,,,,,,,,,,,,,0,0,0,0,0,0,1,,,0,0,0,2,,,,,,,,,,,,,,tcp,roundrobin,,,,,,,0,1398,0,,,,,0,0,0,20,0,,,,,2,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,",
  "",
].join("\n");

const classic: PortMetricSource = { kind: "classic", port: 9000, loadBalancerName: "shop-9000" };
const network: PortMetricSource = {
  kind: "network",
  port: 9001,
  loadBalancer: "net/shop-9001/50dc6c495c0c9188",
  targetGroup: "targetgroup/shop-9001/73e2d6bc24d8a067",
};
const counters = (sessions: number, connectErrors = 0, serverAborts = 0, connectMs = 0): BackendCounters => ({
  sessions,
  connectErrors,
  serverAborts,
  connectMs,
});

describe("the live fleet's metrics", () => {
  it("reads each backend's totals from haproxy's show stat, its server rows left out", () => {
    expect(parseStats(SHOW_STAT)).toEqual(
      new Map([
        ["shop-e2e-9000-instances", counters(705)],
        ["weighted-set", counters(1398)],
      ]),
    );
  });

  it("refuses a show stat without a column it reads, naming it", () => {
    expect(() => parseStats("# pxname,svname,stot,econ,ctime\n")).toThrow(/no srv_abrt column/);
  });

  it("counts what happened since the last minute, and from 0 after a reload reset the totals", () => {
    expect(countedSince(counters(100, 2, 1, 4), counters(130, 5, 1, 3))).toEqual(counters(30, 3, 0, 3));
    expect(countedSince(counters(100, 2), counters(12, 1, 0, 3))).toEqual(counters(12, 1, 0, 3));
    expect(countedSince(undefined, counters(7))).toEqual(counters(7));
  });

  it("puts a classic load balancer's health, requests, connection errors and latency under the names its alarms watch", () => {
    const datums = balancerDatums({ source: classic, healthy: 2, unhealthy: 1, counted: counters(40, 3, 0, 12) });
    const watched = [
      portAlarmSpec(classic, 3, "shop.example.com").metric,
      portUnhealthyAlarmSpec(classic, 3).metric,
      ...(latencyAlarmSpec([classic], 0.5, 3)?.queries ?? []).flatMap((q) => ("metric" in q ? [q.metric] : [])),
      ...backendErrorAlarmSpec([classic], 10, 3).queries.flatMap((q) => ("metric" in q ? [q.metric] : [])),
    ];
    for (const metric of watched) expect(datums.map((d) => d.metric)).toContainEqual(metric);
    expect(Object.fromEntries(datums.map((d) => [d.metric.metricName, d.value]))).toEqual({
      HealthyHostCount: 2,
      UnHealthyHostCount: 1,
      RequestCount: 40,
      BackendConnectionErrors: 3,
      Latency: 0.012,
    });
  });

  it("puts no latency for a minute without requests, as AWS reports none", () => {
    const datums = balancerDatums({ source: classic, healthy: 1, unhealthy: 0, counted: counters(0, 0, 0, 12) });
    expect(datums.map((d) => d.metric.metricName)).not.toContain("Latency");
  });

  it("puts a network load balancer's target health, new flows and resets under its and its target group's suffixes", () => {
    const datums = balancerDatums({ source: network, healthy: 1, unhealthy: 0, counted: counters(9, 4, 2) });
    expect(datums.map((d) => d.metric)).toContainEqual(
      guardAlarmSpec([network], 3).queries.flatMap((q) => ("metric" in q ? [q.metric] : []))[0],
    );
    expect(Object.fromEntries(datums.map((d) => [d.metric.metricName, d.value]))).toEqual({
      HealthyHostCount: 1,
      UnHealthyHostCount: 0,
      NewFlowCount: 9,
      TCP_Target_Reset_Count: 2,
    });
  });

  it("puts the group's desired capacity and instances in service", () => {
    expect(groupDatums("shop", 3, 2).map((d) => [d.metric.metricName, d.metric.dimensions, d.value])).toEqual([
      ["GroupDesiredCapacity", { AutoScalingGroupName: "shop" }, 3],
      ["GroupInServiceInstances", { AutoScalingGroupName: "shop" }, 2],
    ]);
  });

  it("takes a network load balancer's and target group's suffixes from their ARNs, as arn_suffix does", () => {
    expect(
      arnSuffix("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/shop-9001/50dc6c495c0c9188"),
    ).toBe("net/shop-9001/50dc6c495c0c9188");
    expect(
      arnSuffix("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-9001/73e2d6bc24d8a067"),
    ).toBe("targetgroup/shop-9001/73e2d6bc24d8a067");
  });

  it("makes one PutMetricData per namespace, each within its size", () => {
    const datums = [
      ...groupDatums("shop", 3, 3),
      ...balancerDatums({ source: classic, healthy: 1, unhealthy: 0, counted: counters(1) }),
    ];
    const requests = metricRequests(datums, 3);
    expect(requests.map((r) => [r.namespace, r.data.length])).toEqual([
      ["AWS/AutoScaling", 2],
      ["AWS/ELB", 3],
      ["AWS/ELB", 2],
    ]);
    expect(requests[0]?.data[0]).toEqual({
      MetricName: "GroupDesiredCapacity",
      Dimensions: [{ Name: "AutoScalingGroupName", Value: "shop" }],
      Value: 3,
    });
  });

  it("puts each minute's datapoints in its middle, so jitter under half a minute keeps them in it", () => {
    expect(untilMidMinute(9_000, 3)).toBe(1_500);
    expect(untilMidMinute(10_400, 3)).toBe(100);
    expect(untilMidMinute(10_500, 3)).toBe(3_000);
    expect(untilMidMinute(11_000, 3)).toBe(2_500);
  });
});
