import { describeJsonError, jsonErrorOffset, lineAndColumn, parseJson } from "../../../fleet/json-errors";

/** What this Node.js says about `text`. */
function parseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the text not to be JSON");
}

const failure = (text: string): string => {
  const parsed = parseJson(text);
  if (parsed.ok) throw new Error("expected the text not to be JSON");
  return parsed.error;
};

describe("where a fleet file stops being JSON", () => {
  const doubleComma = '{\n  "a": 1,\n  "b": 2,,\n}\n';

  it("reads the position from Node 20's words and Node 22's alike, and counts lines and columns as Node 22 does", () => {
    const node20 = "Expected double-quoted property name in JSON at position 21";
    const node22 = "Expected double-quoted property name in JSON at position 21 (line 3 column 10)";
    for (const message of [node20, node22]) {
      expect(jsonErrorOffset(doubleComma, message)).toBe(21);
      expect(describeJsonError(doubleComma, message)).toBe(
        ["expected double-quoted property name at line 3, column 10:", '        "b": 2,,', "               ^"].join(
          "\n",
        ),
      );
    }
    expect(lineAndColumn(doubleComma, 21)).toEqual({ line: 3, column: 10 });
  });

  it("finds the place when the message names none: a trailing comma in a list", () => {
    const text = '{\n  "allowedCidrs": ["10.0.0.0/8",],\n  "regions": []\n}\n';
    expect(parseMessage(text)).not.toMatch(/position/);
    expect(failure(text)).toBe(
      [
        "unexpected ']' at line 2, column 33:",
        '        "allowedCidrs": ["10.0.0.0/8",],',
        "                                      ^",
      ].join("\n"),
    );
  });

  it("points just after the last character of a file cut short, whatever the message", () => {
    const cutInValue = '{\n  "deployment": "prod",\n  "regions": [\n';
    const cutAfterValue = '{\n\t"deployment": "prod",\n\t"domain": "example.com"\n';
    expect(parseMessage(cutInValue)).toBe("Unexpected end of JSON input");
    expect(failure(cutInValue)).toBe(
      [
        "the file ends before the JSON does at line 3, column 15:",
        '        "regions": [',
        "                    ^",
      ].join("\n"),
    );
    // A tab is one column, shown as a space so the caret lines up.
    expect(failure(cutAfterValue)).toBe(
      [
        "expected ',' or '}' after property value at line 3, column 25:",
        '       "domain": "example.com"',
        "                              ^",
      ].join("\n"),
    );
  });

  it("shows forty characters either side of the column of a long line", () => {
    const regions = Array.from({ length: 6 }, (_, i) => `{"region":"r${i}"}`).join(",");
    const text = `{"regions":[${regions} {"region":"late"},${regions}]}`;
    const offset = text.indexOf(' {"region":"late"}') + 1;
    expect(jsonErrorOffset(text, parseMessage(text))).toBe(offset);
    const [heading, line, caret] = failure(text).split("\n");
    expect(heading).toBe(`expected ',' or ']' after array element at line 1, column ${offset + 1}:`);
    expect(line).toBe(`      …${text.slice(offset - 40, offset + 40)}…`);
    expect(caret?.indexOf("^")).toBe(line?.indexOf('{"region":"late"}'));
  });

  it("parses a file with a byte order mark, as some editors write it", () => {
    expect(parseJson('\uFEFF{"deployment": "prod"}')).toEqual({ ok: true, value: { deployment: "prod" } });
  });
});
