import { PROJECT_EXCEPTIONS } from "../../../baseline/exceptions";
import { noOpenEgress } from "../../../baseline/rules/no-open-egress";
import { checkRule, compliantRegion, findingsOf, STACK } from "./stacks";

describe("no-open-egress: no egress to anywhere", () => {
  it("passes egress to a named range, and no egress at all", () => {
    const stack = compliantRegion();
    expect(findingsOf(noOpenEgress, stack.resources)).toEqual([]);
    stack.resources.aws_vpc_security_group_egress_rule = {
      db: { cidr_ipv4: "10.1.0.0/16", ip_protocol: "tcp", from_port: 5432, to_port: 5432 },
      s3: { prefix_list_id: "pl-63a5400a", ip_protocol: "tcp", from_port: 443, to_port: 443 },
    };
    expect(findingsOf(noOpenEgress, stack.resources)).toEqual([]);
  });

  it("fails egress to anywhere, naming the port or saying every port, and the fix", () => {
    const stack = compliantRegion();
    stack.resources.aws_vpc_security_group_egress_rule = {
      all: { cidr_ipv4: "0.0.0.0/0", ip_protocol: "-1" },
      https: { cidr_ipv4: "0.0.0.0/0", ip_protocol: "tcp", from_port: 443, to_port: 443 },
      high: { cidr_ipv6: "::/0", ip_protocol: "udp", from_port: 1024, to_port: 2048 },
    };
    expect(findingsOf(noOpenEgress, stack.resources)).toEqual(
      [
        ["all", "allows egress to 0.0.0.0/0 on every port and protocol"],
        ["https", "allows egress to 0.0.0.0/0 on port 443"],
        ["high", "allows egress to ::/0 on port 1024-2048"],
      ].map(([name, problem]) => ({
        rule: "no-open-egress",
        mirrors: ["CKV_AWS_382", "AWS-0104"],
        stack: STACK,
        address: `aws_vpc_security_group_egress_rule.${String(name)}`,
        problem,
        fix: "list the destinations the instances need in instanceEgress (a CIDR or prefix list per port)",
      })),
    );
  });

  it("accepts the default instance egress (HTTPS and HTTP to anywhere) by the project's exceptions, and nothing else", () => {
    const stack = compliantRegion();
    const anywhere = (port: number) => ({ cidr_ipv4: "0.0.0.0/0", ip_protocol: "tcp", from_port: port, to_port: port });
    stack.resources.aws_vpc_security_group_egress_rule = {
      "security_instances-out-443_0A1B2C3D": anywhere(443),
      "security_instances-out-80_4E5F6A7B": anywhere(80),
      "security_instances-out-22_8C9D0E1F": anywhere(22),
    };
    const result = checkRule(noOpenEgress, stack.resources, PROJECT_EXCEPTIONS);
    expect(result.excepted.map((e) => e.finding.address)).toEqual([
      "aws_vpc_security_group_egress_rule.security_instances-out-443_0A1B2C3D",
      "aws_vpc_security_group_egress_rule.security_instances-out-80_4E5F6A7B",
    ]);
    expect(result.excepted.map((e) => e.reason)).toEqual([
      expect.stringMatching(/^the default instanceEgress: a booting instance reaches AWS's APIs/),
      expect.stringMatching(/^the default instanceEgress: Debian's package mirrors serve apt over HTTP/),
    ]);
    expect(result.findings.map((f) => f.address)).toEqual([
      "aws_vpc_security_group_egress_rule.security_instances-out-22_8C9D0E1F",
    ]);
  });
});
