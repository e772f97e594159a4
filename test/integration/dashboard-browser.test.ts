// The dashboard in real Chromium against the built `bucketops run` over a real MinIO: the list's states, a failing
// Bucket's reason and failing-since, reconcile after an upload, the revision diff, suspend/resume, and the 390 px
// layout. Screenshots go to test-output/.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import { DEFAULT_CHANGE_WINDOW_MS } from "../../src/source/history.js";
import type { Browser, Page } from "playwright-core";
import type { BucketView } from "../../src/standalone/runner.js";
import { launchChromium, screenshotPath } from "../support/browser.js";
import { runArgs, startServerProcess } from "../support/cli.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let minio: MinioServer;
let firstUploadAt = 0;
let work: string;
let browser: Browser;
let server: Awaited<ReturnType<typeof startServerProcess>>;

function bucket(name: string, bucketName: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: team-a}
spec:
  interval: 10m
  provider: generic
  bucketName: ${bucketName}
  endpoint: ${minio.endpoint}
  insecure: true
  secretRef: {name: minio-creds}
---
`;
}

async function view(name: string): Promise<BucketView> {
  const res = await fetch(`${server.url}/api/buckets/team-a/${name}`);
  assert.equal(res.status, 200);
  return (await res.json()) as BucketView;
}

const readyOf = (v: BucketView): BucketView["status"]["conditions"][number] | undefined =>
  v.status.conditions.find((c) => c.type === "Ready");

async function openList(page: Page): Promise<void> {
  await page.goto(`${server.url}/`);
  await page.locator("table.buckets").waitFor();
}

before(async () => {
  assert.ok(
    existsSync(path.join(repoRoot, "dist/web/index.html")),
    "dist/web is missing: run `npm run build` (it builds the dashboard too)",
  );
  browser = await launchChromium();
  minio = await startMinio();
  await minio.createBucket("apps");
  // Versioned, so the Bucket page shows the bucket's own history beside the kept revisions.
  await minio.client.send(
    new PutBucketVersioningCommand({ Bucket: "apps", VersioningConfiguration: { Status: "Enabled" } }),
  );
  await minio.putObjects("apps", [
    ["app/deploy.yaml", "kind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 1\n"],
    ["app/svc.yaml", "kind: Service\nmetadata:\n  name: app\n"],
  ]);
  firstUploadAt = Date.now();
  await minio.createBucket("held");
  await minio.putObjects("held", [["cm.yaml", "kind: ConfigMap\n"]]);
  work = await makeTempDir("dashboard");
  const config = path.join(work, "config");
  await mkdir(config, { recursive: true });
  await writeFile(
    path.join(config, "buckets.yaml"),
    `${bucket("good", "apps")}${bucket("held", "held")}${bucket("broken", "no-such-bucket")}apiVersion: v1
kind: Secret
metadata: {name: minio-creds, namespace: team-a}
stringData: {accesskey: ${minio.accessKey}, secretkey: ${minio.secretKey}}
`,
  );
  server = await startServerProcess(runArgs(config, path.join(work, "storage")));
  await waitFor("all three Buckets reconciled", async () => {
    const views = await Promise.all(["good", "held", "broken"].map(view));
    return views.every((v) => readyOf(v)?.status === "True" || readyOf(v)?.status === "False");
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await minio?.stop();
  if (work) await removeDir(work);
});

test("the list shows each Bucket's state, failing rows first, and a summary count", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  await openList(page);
  const states: [string | null, string | null][] = [];
  for (const row of await page.locator("tr[data-bucket]").all())
    states.push([await row.getAttribute("data-bucket"), await row.getByTestId("state").textContent()]);
  assert.deepEqual(states, [
    ["team-a/broken", "Failing"],
    ["team-a/good", "Ready"],
    ["team-a/held", "Ready"],
  ]);
  assert.match(
    (await page.getByTestId("summary").textContent()) ?? "",
    /3 Buckets: 1 failing, 2 ready, 0 suspended/,
  );
  await page.screenshot({ path: screenshotPath("dashboard-list.png") });
  await page.close();
});

test("a failing Bucket shows its Ready reason, message and failing-since (the Ready=False transition time)", async () => {
  const ready = readyOf(await view("broken"));
  assert.equal(ready?.status, "False");
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  await openList(page);
  const row = page.locator('tr[data-bucket="team-a/broken"]');
  assert.equal(await row.locator(".reason").textContent(), ready.reason);
  assert.equal(await row.locator("pre.message").textContent(), ready.message);
  assert.equal(
    await row.getByTestId("failing-since").locator("time").getAttribute("datetime"),
    ready.lastTransitionTime,
  );
  await page.close();
});

test("clicking Reconcile after an upload shows the new revision in the list", async () => {
  const before = (await view("good")).status.artifact?.revision;
  // Versions closer than the history's change window form one change: keep the bucket's two states apart.
  const quiet = firstUploadAt + DEFAULT_CHANGE_WINDOW_MS + 500 - Date.now();
  if (quiet > 0) await new Promise((resolve) => setTimeout(resolve, quiet));
  await minio.putObjects("apps", [
    ["app/deploy.yaml", "kind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 3\n"],
  ]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  await openList(page);
  await page.getByRole("button", { name: "Reconcile team-a/good" }).click();
  const after = await waitFor("a new revision", async () => {
    const revision = (await view("good")).status.artifact?.revision;
    return revision !== before ? revision : undefined;
  });
  assert.ok(after);
  await page
    .locator('tr[data-bucket="team-a/good"] [data-testid=revision] code')
    .filter({ hasText: after.slice(7, 19) })
    .waitFor({ timeout: 10_000 });
  await page.close();
});

test("the Bucket page lists the artifact's files, two kept revisions and two bucket versions with counts, and the diff shows the changed file and line", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.url}/#/b/team-a/good`);
  await page.getByTestId("files").waitFor();
  assert.deepEqual(await page.getByTestId("files").locator("code").allTextContents(), [
    "app/deploy.yaml",
    "app/svc.yaml",
  ]);
  const history = page.getByTestId("history").locator("li");
  assert.equal(await history.count(), 2);
  assert.match((await history.first().textContent()) ?? "", /\+0 ~1 −0/);
  // The versioned bucket's own history: the first upload (2 objects added) and the changed deploy.yaml.
  const versions = page.getByTestId("versions").locator("li");
  await versions.nth(1).waitFor();
  assert.equal(await versions.count(), 2);
  assert.match((await versions.first().textContent()) ?? "", /\+0 ~1 −0/);
  const file = page.locator('section.diff-file[aria-label="changed app/deploy.yaml"]');
  await file.waitFor();
  assert.deepEqual(await file.locator(".del").allTextContents(), ["-  replicas: 1\n"]);
  assert.deepEqual(await file.locator(".add").allTextContents(), ["+  replicas: 3\n"]);
  await page.screenshot({ path: screenshotPath("dashboard-bucket.png"), fullPage: true });
  await page.close();
});

test("Suspend shows Suspended in its own colour (not Ready's) and persists it in the API; Resume makes it Ready again", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  await openList(page);
  await page.getByRole("button", { name: "Suspend team-a/held" }).click();
  const badge = page.locator('tr[data-bucket="team-a/held"] [data-testid=state]');
  await badge.filter({ hasText: "Suspended" }).waitFor({ timeout: 10_000 });
  assert.equal((await view("held")).suspended, true);
  // Browser-side code is given as text: the tests' TypeScript has no DOM types.
  const colour = (selector: string): Promise<string> =>
    page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).color`);
  const [suspendedColour, readyColour] = [
    await colour('tr[data-bucket="team-a/held"] [data-testid=state]'),
    await colour('tr[data-bucket="team-a/good"] [data-testid=state]'),
  ];
  assert.match(suspendedColour, /^rgb/);
  assert.notEqual(suspendedColour, readyColour);
  await page.screenshot({ path: screenshotPath("dashboard-suspended.png") });
  // The README's picture (docs/dashboard.png) is refreshed on request only: a committed file tests do not rewrite.
  if (process.env.UPDATE_DOCS_SCREENSHOT === "1") {
    await page.setViewportSize({ width: 1100, height: 600 });
    await page.screenshot({ path: path.join(repoRoot, "docs/dashboard.png") });
  }
  await page.getByRole("button", { name: "Resume team-a/held" }).click();
  await badge.filter({ hasText: "Ready" }).waitFor({ timeout: 10_000 });
  assert.equal((await view("held")).suspended, false);
  await page.close();
});

test("at 390 px wide neither the list nor the Bucket page scrolls sideways", async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const overflow = (): Promise<[number, number]> =>
    page.evaluate<[number, number]>(
      "[document.documentElement.scrollWidth, document.documentElement.clientWidth]",
    );
  await openList(page);
  const [listWidth, listClient] = await overflow();
  assert.ok(listWidth <= listClient, `list: scrollWidth ${listWidth} > clientWidth ${listClient}`);
  await page.screenshot({ path: screenshotPath("dashboard-390.png"), fullPage: true });
  await page.goto(`${server.url}/#/b/team-a/good`);
  await page.locator("section.diff-file").first().waitFor();
  const [pageWidth, pageClient] = await overflow();
  assert.ok(pageWidth <= pageClient, `Bucket page: scrollWidth ${pageWidth} > clientWidth ${pageClient}`);
  await page.screenshot({ path: screenshotPath("dashboard-bucket-390.png"), fullPage: true });
  await page.close();
});

test("a server with --api-token refuses the button's write until the token is entered; then Reconcile succeeds", async () => {
  const config = path.join(work, "config");
  const tokened = await startServerProcess([
    ...runArgs(config, path.join(work, "storage-token")),
    "--api-token",
    "dashboard-test-token",
  ]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  try {
    await page.goto(`${tokened.url}/`);
    await page.locator('tr[data-bucket="team-a/good"]').waitFor();
    const row = page.locator('tr[data-bucket="team-a/good"]');
    await row.getByRole("button", { name: "Reconcile team-a/good" }).click();
    await row.getByRole("alert").filter({ hasText: "Bearer" }).waitFor();
    await row.getByLabel("Write token").fill("dashboard-test-token");
    await row.getByRole("button", { name: "Save" }).click();
    const reconciled = page.waitForResponse((r) => r.url().endsWith("/reconcile"));
    await row.getByRole("button", { name: "Reconcile team-a/good" }).click();
    assert.equal((await reconciled).status(), 200);
    assert.equal(await row.getByRole("alert").count(), 0);
  } finally {
    await page.close();
    await tokened.stop();
  }
});

test("when the server restarts the page shows reconnecting…, then reconnects by itself and is live again", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  await openList(page);
  await page.locator(".live.on").waitFor();
  const port = new URL(server.url).port;
  await server.stop();
  await page.locator(".live.off").waitFor({ timeout: 10_000 });
  const config = path.join(work, "config");
  server = await startServerProcess([
    "--config",
    config,
    "--storage",
    path.join(work, "storage"),
    "--listen",
    `127.0.0.1:${port}`,
  ]);
  await page.locator(".live.on").waitFor({ timeout: 20_000 });
  assert.equal(await page.locator("tr[data-bucket]").count(), 3);
  await page.close();
});
