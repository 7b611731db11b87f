import { noPublicIp } from "../../../baseline/rules/no-public-ip";
import { compliantRegion, findingsOf, STACK } from "./stacks";

describe("no-public-ip: instances get no public IPv4 address", () => {
  it("passes a launch template whose network interfaces refuse one, whatever the subnet's default", () => {
    const stack = compliantRegion();
    expect(findingsOf(noPublicIp, stack.resources)).toEqual([]);
    stack.template.network_interfaces = { associate_public_ip_address: false };
    expect(findingsOf(noPublicIp, stack.resources)).toEqual([]);
  });

  it("fails a launch template that asks for one, naming the template and the fix", () => {
    const stack = compliantRegion();
    stack.template.network_interfaces = [{ associate_public_ip_address: "true" }];
    expect(findingsOf(noPublicIp, stack.resources)).toEqual([
      {
        rule: "no-public-ip",
        mirrors: ["CKV_AWS_88", "AWS-0164"],
        stack: STACK,
        address: "aws_launch_template.template",
        problem: "instances get a public IPv4 address wherever the subnet hands one out",
        fix: "set network_interfaces associate_public_ip_address = false (publicIp: false)",
      },
    ]);
  });

  it("fails a launch template that leaves it to the subnet", () => {
    const stack = compliantRegion();
    delete stack.template.network_interfaces;
    expect(findingsOf(noPublicIp, stack.resources).map((f) => f.address)).toEqual(["aws_launch_template.template"]);
  });
});
