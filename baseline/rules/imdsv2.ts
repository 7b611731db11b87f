import { baselineRule } from "../rule";
import { list, resources } from "../terraform-json";

export const imdsv2 = baselineRule({
  id: "imdsv2",
  mirrors: { checkov: ["CKV_AWS_79", "CKV_AWS_341"], trivy: ["AWS-0130"] },
  requires: "IMDSv2 required, hop limit 1",
  reason:
    "IMDSv1 answers any GET, so a request forgery in the service hands out the instance role's credentials; IMDSv2 " +
    "wants a session token first, and a hop limit of 1 keeps that token from leaving the instance.",
  check: (stack) =>
    resources(stack, "aws_launch_template").flatMap(([name, template]) => {
      const options = list(template.metadata_options)[0] ?? {};
      const hops = Number(options.http_put_response_hop_limit ?? 1);
      if (options.http_tokens === "required" && hops === 1) return [];
      return [
        {
          address: `aws_launch_template.${name}`,
          problem: `instance metadata allows ${options.http_tokens === "required" ? `${hops} hops` : "IMDSv1 (http_tokens not required)"}`,
          fix: "set metadata_options http_tokens = required and http_put_response_hop_limit = 1",
        },
      ];
    }),
});
