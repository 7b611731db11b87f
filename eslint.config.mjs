import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "cdktf.out/", "coverage/", "**/*.d.ts", ".gen/"] },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.js", "*.mjs", "app/*.js", "bench/*.js", "tools/*.mjs"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unnecessary-condition": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/strict-boolean-expressions": [
        "error",
        { allowString: false, allowNumber: false, allowNullableObject: true },
      ],
    },
  },
  // The layers: commands (scripts/) on top, the operations they share (ops/) below them, and the pure
  // library (lib/) with the constructs at the bottom. A lower layer never imports a higher one.
  ...[
    { files: ["lib/**/*.ts", "constructs/**/*.ts", "regions/**/*.ts"], above: ["ops", "scripts", "host", "bench"] },
    { files: ["ops/**/*.ts"], above: ["scripts"] },
  ].map(({ files, above }) => ({
    files,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: above.map((layer) => ({
            group: [`**/${layer}/*`],
            message: `${layer}/ is a higher layer (scripts/ → ops/ → lib/); move what both need down a layer`,
          })),
        },
      ],
    },
  })),
  {
    // Unit tests test the pure layer; what exercises ops/ or a command is an integration test.
    files: ["test/unit/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: ["ops", "scripts"].map((layer) => ({
            group: [`**/${layer}/*`],
            message: `a unit test imports no ${layer}/ module; test it in test/integration/, or move the pure part to lib/`,
          })),
        },
      ],
    },
  },
  {
    // Jest's asymmetric matchers (expect.stringMatching, expect.objectContaining) are typed `any`.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        require: "readonly",
        process: "readonly",
        console: "readonly",
        module: "writable",
        __dirname: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off", "@typescript-eslint/strict-boolean-expressions": "off" },
  },
);
