/*
 * Pure: the upgrade from this project's first releases, whose regional weighted sets were CNAME records.
 * Their members are alias A records now, at the same Terraform addresses. The provider would change each
 * record in place (one Route 53 batch: delete that member's CNAME, create its A record), and Route 53
 * refuses an A record while any CNAME of the same name is left. Replacing every member instead, with
 * every member after the first depending on the first (constructs/dns-records.ts), makes Terraform
 * delete all the CNAME members before it creates the first A record. `npm run plan` and `npm run deploy`
 * find such members in the stack's state and ask Terraform to replace them (`-replace=ADDRESS`), so the
 * upgrade is one reviewed deploy.
 */

/** The parts of a Terraform state document (`terraform state pull`) read here. */
export interface TerraformState {
  readonly resources?: readonly {
    readonly mode?: string;
    readonly type?: string;
    readonly name?: string;
    readonly instances?: readonly { readonly attributes?: Record<string, unknown> }[];
  }[];
}

/** Addresses of weighted records still in the CNAME form; they must be replaced, not updated. */
export function legacyWeightedRecords(state: TerraformState): string[] {
  return (state.resources ?? [])
    .filter(
      (r) =>
        r.mode === "managed" &&
        r.type === "aws_route53_record" &&
        (r.instances ?? []).some((i) => {
          const attributes = i.attributes ?? {};
          const weighted = attributes.weighted_routing_policy;
          return attributes.type === "CNAME" && Array.isArray(weighted) && weighted.length > 0;
        }),
    )
    .map((r) => `${r.type ?? ""}.${r.name ?? ""}`)
    .sort();
}

/** Terraform's flags for them. */
export function replaceFlags(addresses: readonly string[]): string[] {
  return addresses.map((address) => `-replace=${address}`);
}
