// Debian's Chromium driven by playwright-core: the dashboard's browser tests run in a real browser.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Screenshots of the browser tests (gitignored). */
export const TEST_OUTPUT = path.join(repoRoot, "test-output");

/** Launches headless Chromium; fails (never skips) when it is missing: `apt-get install -y chromium`. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}; install it with 'apt-get install -y chromium'`);
  await mkdir(TEST_OUTPUT, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}

/** Path of a screenshot under test-output/. */
export function screenshotPath(name: string): string {
  return path.join(TEST_OUTPUT, name);
}
