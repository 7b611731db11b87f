import { checkBaseline, exceptionFromPattern, type BaselineException } from "../../../baseline/engine";
import type { StackJson } from "../../../baseline/terraform-json";
import { compliantBucket, compliantRegion, type Resources } from "./stacks";

const stack = (name: string, resource: Resources) => ({ name, json: { resource } as StackJson });

describe("the security baseline over synthesized stacks", () => {
  it("finds nothing in a region stack and a state stack that follow every rule", () => {
    const result = checkBaseline(
      [
        stack("shop-prod-us-east-1", compliantRegion().resources),
        stack("shop-prod-state", compliantBucket().resources),
      ],
      [],
    );
    expect(result).toEqual({ findings: [], excepted: [] });
  });

  it("reports stack by stack, each stack's findings in the rules' order, each with its rule and the scanners' ids", () => {
    const region = compliantRegion();
    region.template.metadata_options = { http_tokens: "optional" };
    region.template.block_device_mappings = [{ ebs: { encrypted: "false" } }];
    delete region.template.network_interfaces;
    const found = checkBaseline(
      [stack("shop-prod-us-east-1", region.resources), stack("shop-prod-eu-west-1", region.resources)],
      [],
    ).findings;
    expect(found.map((f) => [f.stack, f.rule, f.mirrors.join(" ")])).toEqual(
      ["shop-prod-us-east-1", "shop-prod-eu-west-1"].flatMap((name) => [
        [name, "imdsv2", "CKV_AWS_79 CKV_AWS_341 AWS-0130"],
        [name, "encrypted-root", "CKV_AWS_8 AWS-0131"],
        [name, "no-public-ip", "CKV_AWS_88 AWS-0164"],
      ]),
    );
  });

  it("sets a finding apart only when an exception names its rule and matches {stack}/{address}", () => {
    const region = compliantRegion();
    region.listener.cidr_ipv4 = "0.0.0.0/0";
    const exceptions: BaselineException[] = [
      { rule: "no-open-egress", resources: /\/aws_vpc_security_group_ingress_rule\.listener$/, reason: "another rule" },
      { rule: "no-public-ingress", resources: /^shop-prod-us-east-1\//, reason: "a partner's network" },
    ];
    const result = checkBaseline(
      [stack("shop-prod-us-east-1", region.resources), stack("shop-prod-eu-west-1", region.resources)],
      exceptions,
    );
    expect(result.findings.map((f) => [f.stack, f.rule])).toEqual([["shop-prod-eu-west-1", "no-public-ingress"]]);
    expect(result.excepted.map((e) => [e.finding.stack, e.finding.rule, e.reason])).toEqual([
      ["shop-prod-us-east-1", "no-public-ingress", "a partner's network"],
    ]);
  });
});

describe("an exception from the fleet file", () => {
  it("matches {stack}/{address}, its * standing for anything but a slash and every other character for itself", () => {
    const { resources } = exceptionFromPattern("listener-tls", "shop-prod-*/aws_elb.balancers_port-*", "a reason");
    expect(
      [
        "shop-prod-us-east-1/aws_elb.balancers_port-9000_09C667E7",
        "shop-prod-/aws_elb.balancers_port-",
        "shop-prod-us-east-1/aws_elbXbalancers_port-9000_09C667E7",
        "shop-prod-us/east-1/aws_elb.balancers_port-9000",
        "shop-prod-us-east-1/aws_elb.balancers_port-9000/x",
        "x/shop-prod-us-east-1/aws_elb.balancers_port-9000",
      ].map((address) => resources.test(address)),
    ).toEqual([true, true, false, false, false, false]);
  });
});
