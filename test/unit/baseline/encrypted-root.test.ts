import { encryptedRoot } from "../../../baseline/rules/encrypted-root";
import { compliantRegion, findingsOf, STACK } from "./stacks";

describe("encrypted-root: every volume of the launch template encrypted", () => {
  it("passes a launch template whose every block device mapping is encrypted", () => {
    const stack = compliantRegion();
    expect(findingsOf(encryptedRoot, stack.resources)).toEqual([]);
    stack.template.block_device_mappings = [{ ebs: [{ encrypted: true }] }, { ebs: { encrypted: "true" } }];
    expect(findingsOf(encryptedRoot, stack.resources)).toEqual([]);
  });

  it("fails a launch template with a volume not encrypted, naming the template and the fix", () => {
    const stack = compliantRegion();
    stack.template.block_device_mappings = [{ ebs: { encrypted: "true" } }, { ebs: { encrypted: "false" } }];
    expect(findingsOf(encryptedRoot, stack.resources)).toEqual([
      {
        rule: "encrypted-root",
        mirrors: ["CKV_AWS_8", "AWS-0131"],
        stack: STACK,
        address: "aws_launch_template.template",
        problem: "a volume is not encrypted",
        fix: "give every block device mapping ebs.encrypted = true",
      },
    ]);
  });

  it("fails a launch template that leaves the root volume's encryption to the image", () => {
    const stack = compliantRegion();
    delete stack.template.block_device_mappings;
    expect(findingsOf(encryptedRoot, stack.resources).map((f) => f.problem)).toEqual([
      "the root volume's encryption is left to the image",
    ]);
  });
});
