import { baselineRule } from "../rule";
import { list, resources } from "../terraform-json";

/** trivy's AWS-0164 asks it of the subnet's default; the launch template's setting overrides that default. */
export const noPublicIp = baselineRule({
  id: "no-public-ip",
  mirrors: { checkov: ["CKV_AWS_88"], trivy: ["AWS-0164"] },
  requires: "no public IPv4 on instances",
  reason:
    "An instance with a public IPv4 address is one security group rule away from the internet, past its load " +
    "balancer; without one, the only way in is through the load balancer or Session Manager.",
  check: (stack) =>
    resources(stack, "aws_launch_template").flatMap(([name, template]) => {
      const interfaces = list(template.network_interfaces);
      if (
        interfaces.length > 0 &&
        interfaces.every((i) => i.associate_public_ip_address === "false" || i.associate_public_ip_address === false)
      ) {
        return [];
      }
      return [
        {
          address: `aws_launch_template.${name}`,
          problem: "instances get a public IPv4 address wherever the subnet hands one out",
          fix: "set network_interfaces associate_public_ip_address = false (publicIp: false)",
        },
      ];
    }),
});
