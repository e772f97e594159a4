import assert from "node:assert/strict";
import { test } from "node:test";
import { unsupportedRuntime } from "../../src/cli/supported-runtime.js";

test("unsupportedRuntime refuses Node 20, 22 and 24 before 24.11 with a message naming both versions", () => {
  for (const version of ["20.20.2", "22.12.0", "24.10.0", "v18.0.0"]) {
    const message = unsupportedRuntime(version);
    assert.ok(message, version);
    assert.match(message, /needs Node\.js >= 24\.11/);
    assert.ok(message.includes(version), message);
  }
});

test("unsupportedRuntime accepts Node 24.11 and later, and later majors", () => {
  for (const version of ["24.11.0", "24.21.0", "v25.0.0", "26.10.0"])
    assert.equal(unsupportedRuntime(version), undefined);
});
