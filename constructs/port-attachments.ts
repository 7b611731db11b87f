import { AutoscalingAttachment } from "@cdktf/provider-aws/lib/autoscaling-attachment";
import { Construct } from "constructs";

export type AttachedPort =
  /** Instance port (keys the attachment so it comes and goes with its load balancer), and what it attaches. */
  | { readonly port: number; readonly loadBalancerName: string }
  | { readonly port: number; readonly targetGroupArn: string };

export interface PortAttachmentsProps {
  /** The Auto Scaling group every load balancer sends to. */
  readonly groupName: string;
  readonly ports: readonly AttachedPort[];
}

/**
 * One attachment per port between the Auto Scaling group and that port's classic load balancer, or its
 * network load balancer's target group. Removing a port
 * removes its attachment, which depends on the load balancer, so Terraform detaches before it destroys
 * (with the group's own `load_balancers` list it destroyed the load balancer first and then failed to
 * detach it). The group ignores its `load_balancers` list, so the two forms never fight.
 */
export class PortAttachments extends Construct {
  readonly attachments: readonly AutoscalingAttachment[];

  constructor(scope: Construct, id: string, props: PortAttachmentsProps) {
    super(scope, id);
    this.attachments = props.ports.map(
      (port) =>
        new AutoscalingAttachment(this, `port-${port.port}`, {
          autoscalingGroupName: props.groupName,
          ...("loadBalancerName" in port ? { elb: port.loadBalancerName } : { lbTargetGroupArn: port.targetGroupArn }),
        }),
    );
  }
}
