import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readmeFleet } from "../../fixtures";

const ROOT = join(__dirname, "..", "..", "..");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

/** The fenced blocks of a Markdown text in a language, in order. */
const fenced = (language: string) =>
  [...readme.matchAll(new RegExp("^```" + language + "\\n([\\s\\S]*?)^```$", "gm"))].map((m) => m[1] ?? "");

describe("the README, the project's front door", () => {
  it("stays short: at most 9,000 characters, the depth being in docs/", () => {
    expect(readme.length).toBeLessThanOrEqual(9000);
  });

  it("shows the command CI runs, as it runs it", () => {
    const ci =
      readFileSync(join(ROOT, ".ci", "run"), "utf8")
        .trim()
        .split("\n")
        .at(-1) ?? "";
    expect(ci).toBe("make test");
    expect(fenced("sh").some((block) => block.split("\n").some((line) => line.startsWith(`${ci} `)))).toBe(true);
  });

  it("has as its example fleet the one the tests deploy as the README's", () => {
    expect(JSON.parse(fenced("json")[0] ?? "null")).toEqual(readmeFleet());
  });
});
