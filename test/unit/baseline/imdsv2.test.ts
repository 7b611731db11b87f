import { imdsv2 } from "../../../baseline/rules/imdsv2";
import { compliantRegion, findingsOf, STACK } from "./stacks";

describe("imdsv2: instance metadata only with a session token, and only to the instance itself", () => {
  it("passes a launch template that requires IMDSv2 with a hop limit of 1", () => {
    expect(findingsOf(imdsv2, compliantRegion().resources)).toEqual([]);
  });

  it("fails a launch template that allows IMDSv1, naming the template and the fix", () => {
    const stack = compliantRegion();
    stack.template.metadata_options = { http_tokens: "optional" };
    expect(findingsOf(imdsv2, stack.resources)).toEqual([
      {
        rule: "imdsv2",
        mirrors: ["CKV_AWS_79", "CKV_AWS_341", "AWS-0130"],
        stack: STACK,
        address: "aws_launch_template.template",
        problem: "instance metadata allows IMDSv1 (http_tokens not required)",
        fix: "set metadata_options http_tokens = required and http_put_response_hop_limit = 1",
      },
    ]);
  });

  it("fails a launch template that says nothing of metadata, or lets the token travel more than one hop", () => {
    const stack = compliantRegion();
    delete stack.template.metadata_options;
    expect(findingsOf(imdsv2, stack.resources).map((f) => f.problem)).toEqual([
      "instance metadata allows IMDSv1 (http_tokens not required)",
    ]);
    stack.template.metadata_options = [{ http_tokens: "required", http_put_response_hop_limit: 2 }];
    expect(findingsOf(imdsv2, stack.resources).map((f) => f.problem)).toEqual(["instance metadata allows 2 hops"]);
  });
});
