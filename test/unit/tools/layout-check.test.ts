import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  docProblems,
  layerTable,
  pathTable,
  rowOf,
  treeProblems,
  withLayoutTables,
  type Layout,
} from "../../../tools/layout-check";

const LAYOUT: Layout = {
  layers: {
    core: { what: "pure decisions", mayImport: ["core"], pure: true },
    adapters: { what: "I/O", mayImport: ["core", "adapters"] },
    entry: { what: "commands", mayImport: ["core", "adapters"] },
  },
  paths: [
    ["main.ts", "entry", "the app"],
    ["fleet/", "core", "the fleet file"],
    ["fleet/adapters/", "adapters", "reading it"],
  ],
};
const TREE = ["main.ts", "fleet/shape.ts", "fleet/adapters/load.ts", "eslint.config.mjs", "README.md"];
const DOC = [
  "# Architecture",
  "",
  "## Code layout",
  "",
  ...pathTable(LAYOUT),
  "",
  ...layerTable(LAYOUT),
  "",
  "## Next",
];

describe("the code layout (tools/layout.json) against the tree", () => {
  it("puts a file in the row of the longest path that holds it", () => {
    expect(rowOf(LAYOUT, "fleet/adapters/load.ts")?.[0]).toBe("fleet/adapters/");
    expect(rowOf(LAYOUT, "fleet/shape.ts")?.[0]).toBe("fleet/");
    expect(rowOf(LAYOUT, "main.ts")?.[1]).toBe("entry");
    expect(rowOf(LAYOUT, "fleetx/a.ts")).toBeUndefined();
  });

  it("accepts a tree whose every code file has its row, configuration at the root aside", () => {
    expect(treeProblems(LAYOUT, TREE)).toEqual([]);
  });

  it("names a new folder with no row, and a row whose folder is gone", () => {
    expect(treeProblems(LAYOUT, [...TREE.filter((f) => f !== "main.ts"), "rollout/verdicts.ts"])).toEqual([
      "tools/layout.json: main.ts is not in the tree; remove its row or restore it",
      "rollout/verdicts.ts belongs to no row of tools/layout.json; add its folder with its layer and what it holds",
    ]);
  });

  it("refuses an adapters/ folder that falls into its core's row, and a layer that does not exist", () => {
    const layout: Layout = { ...LAYOUT, paths: [...LAYOUT.paths, ["state/", "kernel", "locks"]] };
    expect(treeProblems(layout, [...TREE, "state/lock.ts", "state/adapters/unlock.ts"])).toEqual([
      'tools/layout.json: state/ is in layer "kernel", which is none of core, adapters, entry',
      "state/adapters/unlock.ts is an adapter, but its row state/ is kernel; give state/adapters/ a row of its own",
    ]);
  });

  it("refuses a layer allowed to import a layer that does not exist", () => {
    const layout: Layout = {
      ...LAYOUT,
      layers: { ...LAYOUT.layers, core: { what: "pure", mayImport: ["core", "lib"] } },
    };
    expect(treeProblems(layout, TREE)).toEqual(['tools/layout.json: layer core may import "lib", which is no layer']);
  });
});

describe("docs/architecture.md's tables against tools/layout.json", () => {
  it("accepts the tables as the layout writes them, however Prettier pads them", () => {
    const padded = DOC.map((line) => (line.startsWith("|") ? line.replace(/ \| /g, "   |   ") : line)).join("\n");
    expect(docProblems(LAYOUT, padded, "docs/architecture.md", "Code layout")).toEqual([]);
  });

  it("names a row that differs, with what it should read", () => {
    const stale = DOC.join("\n").replace("| reading it |", "| reading the file |");
    expect(docProblems(LAYOUT, stale, "doc.md", "Code layout")).toEqual([
      'doc.md, "Code layout": missing or different row; it should read: | `fleet/adapters/` | adapters | reading it |',
      'doc.md, "Code layout": row not in tools/layout.json: | `fleet/adapters/` | adapters | reading the file |',
    ]);
  });

  it("names a missing table and rows out of order", () => {
    const noLayers = ["## Code layout", "", ...pathTable(LAYOUT).slice(0, 2), ...pathTable(LAYOUT).slice(2).reverse()];
    const problems = docProblems(LAYOUT, noLayers.join("\n"), "doc.md", "Code layout");
    expect(problems).toContain(
      'doc.md, "Code layout": the rows of "| path | layer | what |" are not in tools/layout.json\'s order',
    );
    expect(problems.some((p) => p.startsWith('doc.md, "Code layout": no table "| layer | holds | may import |"'))).toBe(
      true,
    );
  });

  it("holds the repository's own document to the repository's own layout", () => {
    const root = join(__dirname, "..", "..", "..");
    const layout = JSON.parse(readFileSync(join(root, "tools", "layout.json"), "utf8")) as Layout;
    const doc = readFileSync(join(root, "docs", "architecture.md"), "utf8");
    expect(docProblems(layout, doc, "docs/architecture.md", "Code layout")).toEqual([]);
  });

  it("rewrites a stale table from the layout, keeping the section's prose and what follows", () => {
    const stale = DOC.join("\n")
      .replace("| reading it |", "| reading the file |")
      .replace("## Next", "## Next\n\ntext");
    const rewritten = withLayoutTables(LAYOUT, `${stale}\n`, "Code layout");
    expect(docProblems(LAYOUT, rewritten, "doc.md", "Code layout")).toEqual([]);
    expect(rewritten).toBe(`${DOC.join("\n").replace("## Next", "## Next\n\ntext")}\n`);
  });

  it("adds a table the section lacks", () => {
    const pathsOnly = ["## Code layout", "", "The code.", "", ...pathTable(LAYOUT), ""].join("\n");
    expect(docProblems(LAYOUT, withLayoutTables(LAYOUT, pathsOnly, "Code layout"), "doc.md", "Code layout")).toEqual(
      [],
    );
  });
});
