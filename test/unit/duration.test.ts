import { test } from "node:test";
import assert from "node:assert/strict";
import { DURATION_PATTERN, formatDuration, parseDuration } from "../../src/api/duration.js";

void test("parseDuration reads Go durations into milliseconds", () => {
  assert.equal(parseDuration("5m0s"), 300_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1h0m0s"), 3_600_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("1m500ms"), 60_500);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  assert.equal(parseDuration("0.5s"), 500);
  assert.equal(parseDuration("0s"), 0);
});

void test("parseDuration tells ms from m (ms is not m followed by s)", () => {
  assert.equal(parseDuration("10ms"), 10);
  assert.equal(parseDuration("10m"), 600_000);
  assert.equal(parseDuration("10m10s"), 610_000);
});

void test("parseDuration returns undefined for text that is not a Go duration", () => {
  for (const text of [
    "5 minutes",
    "",
    "5",
    "-1s",
    "5m ",
    " 5m",
    "1d",
    "1.s",
    ".5s",
    "5M",
    "1h-30m",
    "1us",
    "PT5M",
  ]) {
    assert.equal(parseDuration(text), undefined, `parseDuration(${JSON.stringify(text)})`);
  }
});

void test("DURATION_PATTERN is the CRD pattern parseDuration enforces", () => {
  const re = new RegExp(DURATION_PATTERN);
  assert.ok(re.test("5m0s"));
  assert.ok(!re.test("5 minutes"));
  assert.ok(!re.test("-1s"));
});

void test("formatDuration prints the way Go prints a time.Duration", () => {
  assert.equal(formatDuration(300_000), "5m0s");
  assert.equal(formatDuration(3_600_000), "1h0m0s");
  assert.equal(formatDuration(5_400_000), "1h30m0s");
  assert.equal(formatDuration(90_061_000), "25h1m1s");
  assert.equal(formatDuration(60_000), "1m0s");
  assert.equal(formatDuration(30_000), "30s");
  assert.equal(formatDuration(1_500), "1.5s");
  assert.equal(formatDuration(61_500), "1m1.5s");
  assert.equal(formatDuration(250), "250ms");
  assert.equal(formatDuration(0), "0s");
});

void test("formatDuration output parses back to the same value", () => {
  for (const ms of [
    1, 250, 999, 1_000, 1_500, 59_999, 60_000, 300_000, 3_599_000, 3_600_000, 5_400_000, 86_400_000,
  ]) {
    assert.equal(parseDuration(formatDuration(ms)), ms, `round trip of ${ms}ms via ${formatDuration(ms)}`);
  }
});
