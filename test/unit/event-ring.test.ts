// The runner's in-memory events of a Bucket: repeats counted, oldest dropped past the size.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EventRing } from "../../src/standalone/event-ring.js";

test("EventRing counts a repeat of the newest event and drops the oldest past its size", () => {
  const ring = new EventRing(2);
  const t0 = new Date("2026-12-01T10:00:00Z");
  const t1 = new Date("2026-12-01T10:05:00Z");
  ring.add({ type: "Normal", reason: "NewArtifact", message: "a" }, t0);
  ring.add({ type: "Normal", reason: "NewArtifact", message: "a" }, t1);
  assert.deepEqual(ring.list(), [
    {
      type: "Normal",
      reason: "NewArtifact",
      message: "a",
      firstTimestamp: t0.toISOString(),
      lastTimestamp: t1.toISOString(),
      count: 2,
    },
  ]);
  ring.add({ type: "Warning", reason: "Failed", message: "b" }, t1);
  ring.add({ type: "Normal", reason: "NewArtifact", message: "c" }, t1);
  assert.deepEqual(
    ring.list().map((e) => e.message),
    ["b", "c"],
  );
});
