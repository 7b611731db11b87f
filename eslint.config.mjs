import eslint from "@eslint/js";
import tseslint from "typescript-eslint";
import layout from "./tools/eslint-boundaries.cjs";

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
  {
    // The layers of tools/layout.json (docs/architecture.md, "Code layout"): each imports only what it may.
    files: ["**/*.ts", "**/*.js", "**/*.mjs", "**/*.cjs"],
    plugins: { layout: layout.plugin },
    rules: { "layout/boundaries": "error" },
  },
  {
    // Jest's asymmetric matchers (expect.stringMatching, expect.objectContaining) are typed `any`.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
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
