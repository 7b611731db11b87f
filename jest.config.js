/** @type {import('jest').Config} */
const project = (displayName, testMatch, extra = {}) => ({
  displayName,
  preset: "ts-jest",
  testEnvironment: "node",
  testMatch,
  setupFiles: ["<rootDir>/test/setup-env.ts"],
  setupFilesAfterEnv: ["<rootDir>/test/setup-jest.ts"],
  ...extra,
});

module.exports = {
  projects: [
    project("unit", ["<rootDir>/test/unit/**/*.test.ts"]),
    project("synth", ["<rootDir>/test/synth/**/*.test.ts"]),
  ],
};
