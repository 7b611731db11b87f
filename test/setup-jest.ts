import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";

Testing.setupJest();

// A test that asserts nothing passes whatever the code does: every test must make at least one assertion.
beforeEach(() => {
  expect.hasAssertions();
});
