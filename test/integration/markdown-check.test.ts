import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PROJECT = join(__dirname, "..", "..");

/** `make check`'s Markdown check (markdownlint-cli2 with the project's config and rule) on one page. */
function check(page: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "cloudrim-markdown-"));
  try {
    writeFileSync(join(dir, "page.md"), page);
    writeFileSync(
      join(dir, ".markdownlint-cli2.jsonc"),
      JSON.stringify({
        config: { default: true, MD013: false, MD033: false, MD040: false, MD024: true },
        customRules: [join(PROJECT, "tools", "markdownlint-no-headings-in-details.mjs")],
      }),
    );
    const result = spawnSync(join(PROJECT, "node_modules", ".bin", "markdownlint-cli2"), ["page.md"], {
      cwd: dir,
      encoding: "utf8",
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the Markdown check", () => {
  const report = "## Terraform plan: 2 of 4 stacks change\n\n### cloudrim-local-us-east-1\n\n- a change\n";

  it("refuses example output folded into <details> whose headings would become the page's", () => {
    const { status, output } = check(`# Operations\n\n<details><summary>example</summary>\n\n${report}\n</details>\n`);
    expect(status).toBe(1);
    expect(output.match(/cloudrim\/no-headings-in-details/g)).toHaveLength(2);
  });

  it("accepts the same example fenced", () => {
    const { status, output } = check(
      `# Operations\n\n<details><summary>example</summary>\n\n\`\`\`\`markdown\n${report}\`\`\`\`\n\n</details>\n`,
    );
    expect({ status, output: output.split("\n").filter((l) => l.includes("page.md:")) }).toEqual({
      status: 0,
      output: [],
    });
  });
});
