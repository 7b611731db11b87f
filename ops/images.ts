/*
 * The image lock's lookups: for each region whose `ami` is a lookup, the newest image AWS lists for its
 * owners, name pattern and architecture (EC2 DescribeImages). Pure decisions: lib/image-lock.ts.
 */
import { DescribeImagesCommand } from "@aws-sdk/client-ec2";
import { newestImage, type FoundImage, type LockedImage } from "../lib/image-lock";
import type { RegionPlan } from "../lib/plan";
import type { Target } from "../lib/target";
import { regionClients } from "./aws-clients";

/** The newest image that answers a region's lookup, as the lock keeps it; undefined when none matches. */
export async function lookUpImage(target: Target, region: RegionPlan): Promise<LockedImage | undefined> {
  const { ami } = region.instance;
  const answer = await regionClients(target, region.region).ec2.send(
    new DescribeImagesCommand({
      Owners: [...ami.owners],
      Filters: [
        { Name: "name", Values: [ami.namePattern ?? "*"] },
        { Name: "state", Values: ["available"] },
        { Name: "architecture", Values: [ami.architecture] },
      ],
    }),
  );
  const found = newestImage(
    (answer.Images ?? []).flatMap((image): FoundImage[] =>
      image.ImageId === undefined
        ? []
        : [
            {
              id: image.ImageId,
              name: image.Name ?? image.ImageId,
              ...(image.CreationDate === undefined ? {} : { created: image.CreationDate }),
            },
          ],
    ),
  );
  return found === undefined
    ? undefined
    : {
        ...found,
        owners: [...ami.owners],
        namePattern: ami.namePattern ?? "*",
        architecture: ami.architecture,
      };
}
