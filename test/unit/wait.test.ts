// The shared test helper waitFor (test/support/wait.ts): what it returns, when it gives up and what it says then.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "../support/wait.js";

test("waitFor returns the first probe value that is neither undefined nor false, retrying a probe that throws", async () => {
  const answers: (() => string | false | undefined)[] = [
    () => {
      throw new Error("connection refused");
    },
    () => undefined,
    () => false,
    () => "ready",
  ];
  let calls = 0;
  const value = await waitFor("the fourth answer", () => (answers[calls++] ?? (() => "late"))(), {
    intervalMs: 1,
  });
  assert.deepEqual([value, calls], ["ready", 4]);
});

test("waitFor's timeout error names what it waited for, the last probe error and the context", async () => {
  await assert.rejects(
    waitFor(
      "the moon",
      () => {
        throw new Error("still dark");
      },
      { timeoutMs: 20, intervalMs: 1, context: () => "sky: cloudy" },
    ),
    { message: "timed out waiting for the moon after 20 ms: still dark\nsky: cloudy" },
  );
});

test("waitFor rejects with an aborted signal's reason, during its pause, long before its timeout", async () => {
  const controller = new AbortController();
  const waiting = waitFor("never", () => false, {
    timeoutMs: 60_000,
    intervalMs: 60_000, // the abort must end the pause, else this rejects after 60 s with "timed out"
    signal: controller.signal,
  });
  setImmediate(() => {
    controller.abort(new Error("the server exited"));
  });
  await assert.rejects(waiting, { message: "the server exited" });
});
