import { baselineRule } from "../rule";
import { balancers } from "../terraform-json";

export const listenerTls = baselineRule({
  id: "listener-tls",
  mirrors: { checkov: ["CKV_AWS_127", "CKV_AWS_2"], trivy: ["AWS-0054"] },
  requires: "a TLS listener on every load balancer reachable from outside the VPC",
  reason:
    "A plaintext listener reachable from outside the VPC carries the clients' traffic where anyone on the path can " +
    "read and change it; TLS at the load balancer protects it without the service changing.",
  check: (stack) =>
    balancers(stack).flatMap((lb) =>
      !lb.internal && lb.listeners.some((l) => !l.tls)
        ? [
            {
              address: lb.address,
              problem: "is reachable from outside the VPC (internal: false) and its listener is plaintext TCP",
              fix: "set tls.certificateArn (an ACM certificate in the region) for a TLS listener, or internal: true",
            },
          ]
        : [],
    ),
});
