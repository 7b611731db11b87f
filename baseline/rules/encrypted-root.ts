import { baselineRule } from "../rule";
import { isTrue, list, resources } from "../terraform-json";

/**
 * checkov's CKV_AWS_8 and trivy's AWS-0131 hold instances and launch configurations to this; the fleet launches
 * from a launch template, so the rule asks it of the template's block device mappings.
 */
export const encryptedRoot = baselineRule({
  id: "encrypted-root",
  mirrors: { checkov: ["CKV_AWS_8"], trivy: ["AWS-0131"] },
  requires: "every instance volume encrypted",
  reason:
    "An unencrypted volume, and every snapshot of it, can be read by whoever gets a copy; asking for encryption in the " +
    "launch template makes it so whatever image a region launches.",
  check: (stack) =>
    resources(stack, "aws_launch_template").flatMap(([name, template]) => {
      const volumes = list(template.block_device_mappings).map((m) => list(m.ebs)[0] ?? {});
      if (volumes.length > 0 && volumes.every((ebs) => isTrue(ebs.encrypted))) return [];
      return [
        {
          address: `aws_launch_template.${name}`,
          problem:
            volumes.length === 0 ? "the root volume's encryption is left to the image" : "a volume is not encrypted",
          fix: "give every block device mapping ebs.encrypted = true",
        },
      ];
    }),
});
