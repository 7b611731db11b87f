// The layers of tools/layout.json as an eslint rule: each file belongs to the row of the table whose path is the
// longest prefix of its own, and may import only what its layer allows. Pure layers also import none of Node's
// I/O modules nor the AWS SDK. CommonJS, so eslint's config and jest (the rule's own tests) load it alike.
const { dirname, relative, resolve, sep } = require("node:path");
const layout = require("./layout.json");

const ROOT = resolve(__dirname, "..");

/** Node's modules that reach the disk, processes, the network or a terminal, and the AWS SDK. */
const IMPURE_MODULES = [
  /^(node:)?fs(\/promises)?$/,
  /^(node:)?child_process$/,
  /^(node:)?net$/,
  /^(node:)?http2?$/,
  /^(node:)?https$/,
  /^(node:)?os$/,
  /^(node:)?readline(\/promises)?$/,
  /^@aws-sdk\//,
];

/** The layout row a project path (posix, relative to the root) belongs to. */
function rowOf(path, rows = layout.paths) {
  let best;
  for (const row of rows) {
    const [prefix] = row;
    // An import names a file without its extension, or a folder (its index) without the slash.
    const matches = prefix.endsWith("/")
      ? path.startsWith(prefix) || `${path}/` === prefix
      : path === prefix || path === prefix.replace(/\.[cm]?[jt]s$/, "");
    if (matches && (best === undefined || prefix.length > best[0].length)) best = row;
  }
  return best;
}

const toPosix = (path) => path.split(sep).join("/");

/** What `importer` may not import, as a sentence; undefined when the import is allowed. */
function refusal(importer, specifier, root = ROOT, spec = layout) {
  const from = rowOf(toPosix(relative(root, importer)), spec.paths);
  if (from === undefined) return undefined;
  const [fromPath, fromLayer] = from;
  const rules = spec.layers[fromLayer];
  if (!specifier.startsWith(".")) {
    if (rules.pure === true && IMPURE_MODULES.some((pattern) => pattern.test(specifier))) {
      return `${fromPath} is ${fromLayer} (${rules.what}), so it may not import ${specifier}; do the I/O in an adapter and pass the result in`;
    }
    return undefined;
  }
  const target = toPosix(relative(root, resolve(dirname(importer), specifier)));
  if (target.startsWith("..")) return undefined;
  const to = rowOf(target, spec.paths);
  if (to === undefined) return undefined;
  const [toPath, toLayer] = to;
  if (toPath === fromPath || rules.mayImport.includes(toLayer)) return undefined;
  return (
    `${fromPath} is ${fromLayer} and may import only ${rules.mayImport.join(", ") || "nothing of the project"}; ` +
    `${toPath} is ${toLayer} (${spec.layers[toLayer].what}). Move what both need into a layer both may import (tools/layout.json)`
  );
}

const boundaries = {
  meta: {
    type: "problem",
    docs: { description: "Each layer of tools/layout.json imports only the layers it may." },
    schema: [],
  },
  create(context) {
    const check = (node, source) => {
      if (source?.type !== "Literal" || typeof source.value !== "string") return;
      const message = refusal(context.filename, source.value);
      if (message !== undefined) context.report({ node: source, message });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      CallExpression: (node) => {
        const callee = node.callee;
        const name =
          callee.type === "Identifier"
            ? callee.name
            : callee.type === "MemberExpression" && callee.object.type === "Identifier"
              ? `${callee.object.name}.${callee.property.name ?? ""}`
              : "";
        if (["require", "jest.mock", "jest.requireActual", "jest.doMock"].includes(name))
          check(node, node.arguments[0]);
      },
    };
  },
};

module.exports = {
  ROOT,
  layout,
  rowOf,
  refusal,
  plugin: { meta: { name: "cloudrim-layout" }, rules: { boundaries } },
};
