import { bakeAlarmNames } from "../../fleet/shape";
import type { FleetConfig } from "../../fleet/schema";
import { shapeOrThrow } from "../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../fixtures";
import { addresses, resourcesOf, stackJson, synthFleet, type StackJson } from "./synth-helpers";

/*
 * The alarms on ports that pass their checks but serve badly: what they watch, that the bake and the
 * instance refresh see them, and that adding them re-addresses nothing.
 */

function regionJson(config: FleetConfig): StackJson {
  const stack = synthFleet(config).stacks.regions[0];
  if (stack === undefined) throw new Error("no region stack");
  return stackJson(stack);
}

const servingAlarms = (json: StackJson) =>
  Object.fromEntries(
    resourcesOf(json, "aws_cloudwatch_metric_alarm")
      .filter(([name]) => name.startsWith("serving_"))
      .map(([name, alarm]) => [name.replace(/_[0-9A-F]{8}$/, ""), alarm]),
  );

/** A metric query's metric as synthesized. */
type Query = {
  id: string;
  expression?: string;
  metric?: { metric_name: string; dimensions: Record<string, string>; stat: string };
};

describe("classic load balancers", () => {
  const json = regionJson(baseFleet({ processes: 12, alarms: { latencySeconds: 2, backendErrors: 25, minutes: 4 } }));
  const alarms = servingAlarms(json);

  it("watch the latency and the backend connection errors of each group of ten ports, one alarm each", () => {
    expect(Object.keys(alarms).sort()).toEqual([
      "serving_errors-9000",
      "serving_errors-9010",
      "serving_latency-9000",
      "serving_latency-9010",
    ]);
    expect(alarms["serving_latency-9010"]).toMatchObject({
      alarm_name: "cloudrim-prod-us-east-1-latency-9010",
      threshold: 2,
      evaluation_periods: 4,
      datapoints_to_alarm: 4,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
    });
    expect(alarms["serving_errors-9000"]).toMatchObject({
      alarm_name: "cloudrim-prod-us-east-1-backend-errors-9000",
      threshold: 25,
      evaluation_periods: 4,
    });
  });

  it("read each port's own load balancer, by its name", () => {
    const queries = (alarms["serving_latency-9010"]?.metric_query ?? []) as Query[];
    expect(queries[0]).toMatchObject({ id: "latency", expression: "MAX([l9010, l9011])" });
    expect(queries.slice(1).map((q) => [q.metric?.metric_name, q.metric?.stat, q.metric?.dimensions])).toEqual([
      [
        "Latency",
        "Average",
        { LoadBalancerName: expect.stringMatching(/^\$\{aws_elb\.balancers_port-9010_[0-9A-F]{8}\.name\}$/) },
      ],
      [
        "Latency",
        "Average",
        { LoadBalancerName: expect.stringMatching(/^\$\{aws_elb\.balancers_port-9011_[0-9A-F]{8}\.name\}$/) },
      ],
    ]);
    const errors = (alarms["serving_errors-9000"]?.metric_query ?? []) as Query[];
    expect(errors.slice(1).map((q) => [q.metric?.metric_name, q.metric?.stat])).toEqual(
      Array.from({ length: 10 }, () => ["BackendConnectionErrors", "Sum"]),
    );
  });
});

describe("network load balancers", () => {
  it("watch the resets their targets send, and no latency, which they do not report", () => {
    const alarms = servingAlarms(regionJson(baseFleet({ loadBalancerType: "network", processes: 2 })));
    expect(Object.keys(alarms)).toEqual(["serving_errors-9000"]);
    const queries = (alarms["serving_errors-9000"]?.metric_query ?? []) as Query[];
    expect(queries.slice(1).map((q) => [q.metric?.metric_name, q.metric?.dimensions])).toEqual([
      [
        "TCP_Target_Reset_Count",
        { LoadBalancer: expect.stringMatching(/^\$\{aws_lb\.balancers_port-9000_[0-9A-F]{8}\.arn_suffix\}$/) },
      ],
      [
        "TCP_Target_Reset_Count",
        { LoadBalancer: expect.stringMatching(/^\$\{aws_lb\.balancers_port-9001_[0-9A-F]{8}\.arn_suffix\}$/) },
      ],
    ]);
  });
});

describe("the bake", () => {
  it.each(["classic", "network"] as const)(
    "watches every alarm a region of %s load balancers creates but the traffic shares",
    (loadBalancerType) => {
      const config = baseFleet({ loadBalancerType, processes: 12 });
      const json = regionJson(config);
      const created = [
        ...resourcesOf(json, "aws_cloudwatch_metric_alarm"),
        ...resourcesOf(json, "aws_cloudwatch_composite_alarm"),
      ]
        .filter(([name]) => !name.startsWith("alarms_share-"))
        .map(([, alarm]) => alarm.alarm_name as string);
      const region = shapeOrThrow(config, DEFAULT_APP).regions[0];
      if (region === undefined) throw new Error("no region");
      expect([...bakeAlarmNames(region)].sort()).toEqual(created.sort());
      expect(bakeAlarmNames(region)).toEqual(
        expect.arrayContaining([
          "cloudrim-prod-us-east-1-backend-errors-9000",
          "cloudrim-prod-us-east-1-backend-errors-9010",
          "cloudrim-prod-us-east-1-boot-abandoned",
          "cloudrim-prod-us-east-1-in-service-below-desired",
        ]),
      );
    },
  );
});

/** A region's addresses before it had serving alarms (the commit before them, `baseFleet()`). */
const BEFORE_SERVING_ALARMS = [
  "aws_autoscaling_attachment.attach_port-9000_6DE531F2",
  "aws_autoscaling_attachment.attach_port-9001_8C024589",
  "aws_autoscaling_attachment.attach_port-9002_BF93F208",
  "aws_autoscaling_group.service_group_A399C41F",
  "aws_autoscaling_lifecycle_hook.service_boot-hook_774473DC",
  "aws_autoscaling_policy.scaling_policy_7F8F0652",
  "aws_cloudwatch_composite_alarm.alarms_all-ports_21EF94F9",
  "aws_cloudwatch_dashboard.monitoring_dashboard_4CE328EF",
  "aws_cloudwatch_event_rule.logs_group-events_F3476E9C",
  "aws_cloudwatch_event_target.logs_events-target_E2C411D2",
  "aws_cloudwatch_log_group.logs_events_DAE8F4B9",
  "aws_cloudwatch_log_group.logs_instances_88843A37",
  "aws_cloudwatch_log_metric_filter.logs_abandoned-boots_E8AF6B06",
  "aws_cloudwatch_log_metric_filter.logs_failed-refreshes_1BC4D457",
  "aws_cloudwatch_log_metric_filter.logs_hand-overs_6539DFDD",
  "aws_cloudwatch_log_metric_filter.logs_restarts_5C525680",
  "aws_cloudwatch_log_resource_policy.logs_events-delivery_D2408787",
  "aws_cloudwatch_metric_alarm.alarms_guard-9000_2FC441AC",
  "aws_cloudwatch_metric_alarm.alarms_port-9000_310967C1",
  "aws_cloudwatch_metric_alarm.alarms_port-9001_2B72A09B",
  "aws_cloudwatch_metric_alarm.alarms_port-9002_5DEA49EE",
  "aws_cloudwatch_metric_alarm.alarms_share-9000_E80591CB",
  "aws_cloudwatch_metric_alarm.alarms_share-9001_1AD09454",
  "aws_cloudwatch_metric_alarm.alarms_share-9002_5F69BCF4",
  "aws_cloudwatch_metric_alarm.alarms_unhealthy-9000_027B2A37",
  "aws_cloudwatch_metric_alarm.alarms_unhealthy-9001_BBEE6446",
  "aws_cloudwatch_metric_alarm.alarms_unhealthy-9002_D15AD88C",
  "aws_cloudwatch_metric_alarm.host-alarms_abandoned-boots_2CEBB68F",
  "aws_cloudwatch_metric_alarm.host-alarms_below-desired_CF7882F9",
  "aws_cloudwatch_metric_alarm.host-alarms_failed-refreshes_8DDA77F3",
  "aws_cloudwatch_metric_alarm.host-alarms_hand-overs_E08A656C",
  "aws_elb.balancers_port-9000_09C667E7",
  "aws_elb.balancers_port-9001_CE4C248A",
  "aws_elb.balancers_port-9002_B3E2E12E",
  "aws_iam_instance_profile.instance_profile_1A18D2E2",
  "aws_iam_role.instance_role_8EBCA72E",
  "aws_iam_role_policy.instance_logs_6902CB63",
  "aws_iam_role_policy.instance_own-group_D45FCD24",
  "aws_iam_role_policy.instance_session-manager_1AD9E668",
  "aws_launch_template.service_launch-template_CDD6BC09",
  "aws_route53_record.dns_alias-9000_A30D528E",
  "aws_route53_record.dns_alias-9001_D0CB9DD1",
  "aws_route53_record.dns_alias-9002_D0A5DCBF",
  "aws_route53_record.dns_global_B9F83228",
  "aws_route53_record.dns_weighted-9000_063D9A95",
  "aws_route53_record.dns_weighted-9001_D6014C7C",
  "aws_route53_record.dns_weighted-9002_160A171B",
  "aws_security_group.security_instances_16A36C2B",
  "aws_security_group.security_load-balancers_AD834577",
  "aws_ssm_document.instance_session_F90AB24A",
  "aws_vpc_security_group_egress_rule.security_instances-out-443_5FF41AB5",
  "aws_vpc_security_group_egress_rule.security_instances-out-80_6CD29627",
  "aws_vpc_security_group_egress_rule.security_to-instances-egress_257D6EBA",
  "aws_vpc_security_group_ingress_rule.security_listener-from-10-0-0-0_8_4EFE3B66",
  "aws_vpc_security_group_ingress_rule.security_to-instances-ingress_C9AFFC9F",
];

describe("adding the serving alarms", () => {
  it("re-addresses nothing: every address a region had is still there, and the new alarms are under serving/", () => {
    const after = addresses(regionJson(baseFleet()));
    expect(BEFORE_SERVING_ALARMS.filter((address) => !after.includes(address))).toEqual([]);
    expect(after.filter((address) => address.includes(".serving_"))).toEqual([
      expect.stringMatching(/^aws_cloudwatch_metric_alarm\.serving_errors-9000_[0-9A-F]{8}$/),
      expect.stringMatching(/^aws_cloudwatch_metric_alarm\.serving_latency-9000_[0-9A-F]{8}$/),
    ]);
  });
});
