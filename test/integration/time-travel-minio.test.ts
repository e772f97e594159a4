// Time travel on a real versioned MinIO bucket, through the CLI a user types and the API of `bucketops run`:
// states A, B and C are uploaded (changed, added and deleted objects, one key deleted in B and re-created in C),
// each fetched live once to learn the revision and digest it had; then history, diff, pin --export, the API
// routes, and pin / unpin of a running `bucketops run` (across a restart) are checked against those.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DeleteObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { applyPatch } from "diff";
import { parse } from "yaml";
import type { ChangePointJson, DiffJson, HistoryJson } from "../../src/engine/time-travel.js";
import type { BucketView } from "../../src/standalone/runner.js";
import { runArgs, runCli, startServerProcess } from "../support/cli.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

const BUCKET = "timeline";
const PLAIN = "no-versions";

/** The three states, key → content (undefined: deleted). Keys are under the Bucket's prefix `manifests/`. */
const A: Record<string, string> = {
  "manifests/app.yaml": "kind: Deployment\nmetadata: {name: app}\nspec:\n  replicas: 1\n  image: app:1.0\n",
  "manifests/svc.yaml": "kind: Service\nmetadata: {name: app}\nspec:\n  port: 80\n",
  "manifests/cm.yaml": "kind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  mode: a\n",
  "manifests/old.yaml": "kind: Secret\nmetadata: {name: old}\n",
};
/** B: app.yaml changed, extra.yaml added, old.yaml and cm.yaml deleted. */
const B_PUT: Record<string, string> = {
  "manifests/app.yaml": "kind: Deployment\nmetadata: {name: app}\nspec:\n  replicas: 3\n  image: app:1.0\n",
  "manifests/extra.yaml": "kind: Namespace\nmetadata: {name: extra}\n",
};
const B_DELETE = ["manifests/old.yaml", "manifests/cm.yaml"];
/** C: svc.yaml changed, cm.yaml re-created (other content), a binary file added. */
const C_PUT: Record<string, string | Buffer> = {
  "manifests/svc.yaml": "kind: Service\nmetadata: {name: app}\nspec:\n  port: 8080\n",
  "manifests/cm.yaml": "kind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  mode: c\n",
  "manifests/logo.bin": Buffer.from([0, 1, 2, 3, 255, 0, 7]),
};

interface Live {
  revision: string;
  digest: string;
}

let minio: MinioServer;
let work: string;
let appYaml: string;
let plainYaml: string;
let config: string;
const live: Record<"A" | "B" | "C", Live> = {} as Record<"A" | "B" | "C", Live>;

function bucketYaml(name: string, bucket: string, secret: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: default}
spec:
  interval: 1h
  provider: generic
  bucketName: ${bucket}
  prefix: manifests/
  endpoint: ${minio.endpoint}
  insecure: true
  secretRef: {name: ${secret}}
---
apiVersion: v1
kind: Secret
metadata: {name: ${secret}, namespace: default}
stringData:
  accesskey: ${minio.accessKey}
  secretkey: ${minio.secretKey}
`;
}

async function put(bucket: string, objects: Record<string, string | Buffer>): Promise<void> {
  for (const [Key, Body] of Object.entries(objects))
    await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
}

/** A live fetch of the Bucket file: the revision and digest the current state has. */
async function fetchLive(file: string): Promise<Live> {
  const out = await makeTempDir("tt-fetch");
  try {
    const r = await runCli([
      "fetch",
      file,
      "-o",
      out,
      "--force",
      "--cache-dir",
      path.join(work, "cache"),
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { revision, digest } = JSON.parse(r.stdout) as Live;
    return { revision, digest };
  } finally {
    await removeDir(out);
  }
}

/**
 * Versions within 2 s of each other make one change (history-timeline's window, as an `aws s3 sync` writes one
 * object after another): the states are separated by a longer quiet gap, on MinIO's own clock.
 */
const quietGap = (): Promise<void> => sleep(2300);

const cli = (...args: string[]): ReturnType<typeof runCli> =>
  runCli([...args, "--cache-dir", path.join(work, "cache")]);

async function historyOf(file: string, ...extra: string[]): Promise<ChangePointJson[]> {
  const r = await cli("history", file, "-o", "json", ...extra);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ChangePointJson[];
}

before(async () => {
  minio = await startMinio();
  work = await makeTempDir("time-travel");
  config = path.join(work, "config");
  await mkdir(config, { recursive: true });
  await minio.createBucket(BUCKET);
  await minio.client.send(
    new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }),
  );
  await minio.createBucket(PLAIN);
  await put(PLAIN, { "manifests/x.yaml": "kind: X\n" });
  appYaml = path.join(config, "app.yaml");
  plainYaml = path.join(config, "plain.yaml");
  await writeFile(appYaml, bucketYaml("app", BUCKET, "creds"));
  await writeFile(plainYaml, bucketYaml("plain", PLAIN, "plain-creds"));

  await put(BUCKET, A);
  live.A = await fetchLive(appYaml);
  await quietGap();
  await put(BUCKET, B_PUT);
  for (const Key of B_DELETE) await minio.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
  live.B = await fetchLive(appYaml);
  await quietGap();
  await put(BUCKET, C_PUT);
  live.C = await fetchLive(appYaml);
  assert.equal(new Set([live.A.revision, live.B.revision, live.C.revision]).size, 3, "three distinct states");
});

after(async () => {
  await minio?.stop();
  if (work) await removeDir(work);
});

describe("history", () => {
  test("history -o json lists C, B, A newest first with their added/changed/removed/object counts and the revision a live fetch gave each", async () => {
    const points = await historyOf(appYaml);
    assert.deepEqual(
      points.map(({ revision, objects, added, changed, removed }) => ({
        revision,
        objects,
        added,
        changed,
        removed,
      })),
      [
        { revision: live.C.revision, objects: 5, added: 2, changed: 1, removed: 0 },
        { revision: live.B.revision, objects: 3, added: 1, changed: 1, removed: 2 },
        { revision: live.A.revision, objects: 4, added: 4, changed: 0, removed: 0 },
      ],
    );
    const times = points.map((p) => Date.parse(p.time));
    assert.deepEqual(
      times,
      [...times].sort((x, y) => y - x),
      `newest first: ${points.map((p) => p.time).join(", ")}`,
    );
    assert.equal(new Set(times).size, 3, "three distinct times");
  });

  test("history prints a table with 12-digit revisions and the time it took on stderr; --limit 1 and --since keep only the newest", async () => {
    const r = await cli("history", appYaml);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^TIME\s+ADDED\s+CHANGED\s+REMOVED\s+OBJECTS\s+REVISION/);
    assert.equal(lines.length, 4, r.stdout);
    assert.match(lines[1] ?? "", new RegExp(`\\+2\\s+~1\\s+-0\\s+5\\s+${live.C.revision.slice(0, 19)}$`));
    assert.ok(!r.stdout.includes(live.C.revision), "the table shortens revisions");
    assert.match(r.stderr, /^3 states from \d+ versions in \d+\.\d\d s$/m);

    const points = await historyOf(appYaml);
    const limited = await historyOf(appYaml, "--limit", "1");
    assert.deepEqual(limited, points.slice(0, 1));
    const since = await historyOf(appYaml, "--since", points[1]?.time ?? "");
    assert.deepEqual(since, points.slice(0, 2));
  });

  test("history of a bucket without versioning exits 1 and says to enable versioning", async () => {
    const r = await cli("history", plainYaml);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /enable versioning/);
    assert.equal(r.stdout, "");
  });
});

describe("diff", () => {
  test("diff --from <A's time> --to latest -o json lists the added, removed and changed files, and each text patch turns A's file into C's", async () => {
    const [, , a] = await historyOf(appYaml);
    const r = await cli("diff", appYaml, "--from", a?.time ?? "", "--to", "latest", "-o", "json");
    assert.equal(r.code, 0, r.stderr);
    const diff = JSON.parse(r.stdout) as DiffJson;
    assert.deepEqual(diff.added, ["manifests/extra.yaml", "manifests/logo.bin"]);
    assert.deepEqual(diff.removed, ["manifests/old.yaml"]);
    assert.deepEqual(diff.changed, ["manifests/app.yaml", "manifests/cm.yaml", "manifests/svc.yaml"]);
    assert.deepEqual(diff.stat, { added: 2, removed: 1, changed: 3 });
    assert.equal(diff.from.revision, live.A.revision);
    assert.equal(diff.to.revision, live.C.revision);
    const C: Record<string, string | Buffer | undefined> = {
      ...A,
      ...B_PUT,
      ...C_PUT,
      "manifests/old.yaml": undefined,
    };
    const files = diff.files ?? [];
    assert.deepEqual(
      files.map((f) => [f.key, f.change, f.content]),
      [
        ["manifests/app.yaml", "changed", "text"],
        ["manifests/cm.yaml", "changed", "text"],
        ["manifests/extra.yaml", "added", "text"],
        ["manifests/logo.bin", "added", "binary"],
        ["manifests/old.yaml", "removed", "text"],
        ["manifests/svc.yaml", "changed", "text"],
      ],
    );
    for (const f of files.filter((x) => x.content === "text")) {
      assert.ok(f.patch, `${f.key} has a patch`);
      assert.equal(applyPatch(A[f.key] ?? "", f.patch), C[f.key] ?? "", `${f.key}: A + patch = C`);
    }
    const app = files.find((f) => f.key === "manifests/app.yaml");
    assert.match(app?.patch ?? "", /^--- a\/manifests\/app\.yaml.*\n\+\+\+ b\/manifests\/app\.yaml/m);
    assert.match(app?.patch ?? "", /^- {2}replicas: 1\n\+ {2}replicas: 3$/m);
    assert.equal(app?.additions, 1);
    assert.equal(app?.deletions, 1);
  });

  test("diff as text (not a TTY) lists A/D/M lines, the unified diffs and the counts, without colour codes", async () => {
    const r = await cli("diff", appYaml, "--from", live.A.revision, "--to", live.C.revision.slice(7, 19));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes("\x1b["), "no ANSI escapes off a terminal");
    assert.match(r.stdout, /^A manifests\/extra\.yaml \(\+2 -0\)$/m);
    assert.match(r.stdout, /^D manifests\/old\.yaml \(\+0 -2\)$/m);
    assert.match(r.stdout, /^M manifests\/app\.yaml \(\+1 -1\)$/m);
    assert.match(r.stdout, /^Binary file manifests\/logo\.bin added \(not shown\)$/m);
    assert.match(r.stdout, /^- {2}port: 80\n\+ {2}port: 8080$/m);
    assert.match(r.stdout, /^6 files differ: 2 added, 1 removed, 3 changed \(4 → 5 objects\)$/m);
  });

  test("diff --stat prints only the counts; -o json --stat has the keys and counts and no files", async () => {
    const text = await cli("diff", appYaml, "--from", live.B.revision, "--stat");
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, "3 files differ: 2 added, 0 removed, 1 changed (3 → 5 objects)\n");
    const json = await cli("diff", appYaml, "--from", live.B.revision, "--stat", "-o", "json");
    assert.equal(json.code, 0, json.stderr);
    const diff = JSON.parse(json.stdout) as DiffJson;
    assert.deepEqual(diff.stat, { added: 2, removed: 0, changed: 1 });
    assert.deepEqual(diff.added, ["manifests/cm.yaml", "manifests/logo.bin"]);
    assert.deepEqual(diff.changed, ["manifests/svc.yaml"]);
    assert.equal(diff.files, undefined);
  });

  test("diff with a --from that is neither a time, a revision nor latest exits 2 naming it", async () => {
    const r = await cli("diff", appYaml, "--from", "yesterday");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"yesterday" is neither an RFC 3339 time/);
  });
});

describe("pin --export", () => {
  test("pin --export --to <A's revision> prints the Bucket with spec.asOf at A's change point; --to <time> prints that time", async () => {
    const [, , a] = await historyOf(appYaml);
    const r = await cli("pin", appYaml, "--to", live.A.revision, "--export");
    assert.equal(r.code, 0, r.stderr);
    const doc = parse(r.stdout) as {
      kind: string;
      metadata: { name: string };
      spec: Record<string, unknown>;
    };
    assert.equal(doc.kind, "Bucket");
    assert.equal(doc.metadata.name, "app");
    assert.equal(doc.spec.asOf, a?.time);
    assert.equal(doc.spec.bucketName, BUCKET);
    assert.ok(!r.stdout.includes(minio.secretKey), "the Secret is not printed");

    const byTime = await cli("pin", appYaml, "--to", "2026-01-02T03:04:05+01:00", "--export");
    assert.equal(byTime.code, 0, byTime.stderr);
    assert.equal((parse(byTime.stdout) as { spec: { asOf: string } }).spec.asOf, "2026-01-02T02:04:05.000Z");
  });

  test("pin --export --to latest exits 2 (unpin follows the latest)", async () => {
    const r = await cli("pin", appYaml, "--to", "latest", "--export");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unpin/);
  });
});

describe("bucketops run: the API and pin / unpin", () => {
  let server: Awaited<ReturnType<typeof startServerProcess>>;
  const storage = (): string => path.join(work, "storage");
  // Callers name the body's type: the JSON is not checked here, the assertions check it.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  const api = async <T>(route: string, init?: RequestInit): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}${route}`, init);
    return { status: res.status, body: (await res.json()) as T };
  };
  const view = async (): Promise<BucketView> => (await api<BucketView>("/api/buckets/default/app")).body;
  const readyAt = (digest: string): Promise<BucketView> =>
    waitFor(
      `app Ready with ${digest}`,
      async () => {
        const v = await view();
        const isReady = v.status.conditions.some((c) => c.type === "Ready" && c.status === "True");
        return isReady && v.status.artifact?.digest === digest ? v : undefined;
      },
      { context: () => server.logs() },
    );

  before(async () => {
    server = await startServerProcess(runArgs(config, storage()));
    await readyAt(live.C.digest);
  });
  after(async () => {
    await server?.stop();
  });

  test("GET …/history answers the change points the CLI lists; since and limit filter them", async () => {
    const { status, body } = await api<HistoryJson>("/api/buckets/default/app/history");
    assert.equal(status, 200);
    assert.deepEqual(body.items, await historyOf(appYaml));
    assert.equal(body.prefix, "manifests/");
    assert.ok(body.versions >= 9, `versions and delete markers listed: ${body.versions}`);
    const since = body.items[1]?.time ?? "";
    const filtered = await api<HistoryJson>(
      `/api/buckets/default/app/history?since=${encodeURIComponent(since)}&limit=1`,
    );
    assert.deepEqual(filtered.body.items, body.items.slice(0, 1));
  });

  test("GET …/history answers 404 for an unknown Bucket, 409 for a bucket without versioning, 400 for a bad since or limit", async () => {
    const unknown = await api<{ error: string }>("/api/buckets/default/nope/history");
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error, /Bucket default\/nope not found/);
    const plain = await api<{ error: string; kind: string }>("/api/buckets/default/plain/history");
    assert.equal(plain.status, 409);
    assert.equal(plain.body.kind, "NotVersioned");
    assert.match(plain.body.error, /enable versioning/);
    assert.equal((await api("/api/buckets/default/app/history?since=yesterday")).status, 400);
    assert.equal((await api("/api/buckets/default/app/history?limit=0")).status, 400);
  });

  test("GET …/diff answers the files with patches, with stat=1 keys and counts only, and 400 for a missing or bad from", async () => {
    const full = await api<DiffJson>(
      `/api/buckets/default/app/diff?from=${live.A.revision}&to=${live.B.revision}`,
    );
    assert.equal(full.status, 200);
    assert.deepEqual(full.body.stat, { added: 1, removed: 2, changed: 1 });
    assert.deepEqual(
      full.body.files?.map((f) => [f.key, f.change]),
      [
        ["manifests/app.yaml", "changed"],
        ["manifests/cm.yaml", "removed"],
        ["manifests/extra.yaml", "added"],
        ["manifests/old.yaml", "removed"],
      ],
    );
    const app = full.body.files?.find((f) => f.key === "manifests/app.yaml");
    assert.equal(applyPatch(A["manifests/app.yaml"] ?? "", app?.patch ?? ""), B_PUT["manifests/app.yaml"]);
    const stat = await api<DiffJson>(`/api/buckets/default/app/diff?from=${live.A.revision}&stat=1`);
    assert.equal(stat.status, 200);
    assert.deepEqual(stat.body.stat, { added: 2, removed: 1, changed: 3 });
    assert.equal(stat.body.to.revision, live.C.revision);
    assert.equal(stat.body.files, undefined);
    assert.equal((await api("/api/buckets/default/app/diff")).status, 400);
    const bad = await api<{ error: string }>("/api/buckets/default/app/diff?from=sha256:ffff");
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /no state of the prefix had the revision sha256:ffff/);
  });

  test("pin of a Bucket without versioning answers 409 and saves no pin", async () => {
    const r = await runCli(["pin", "plain", "--to", live.A.revision, "--server", server.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /enable versioning/);
    const plain = (await api<BucketView>("/api/buckets/default/plain")).body;
    assert.equal(plain.pin, undefined);
  });

  test("pin --server serves A's revision and digest, stays pinned across a restart of run, and unpin serves C's again", async () => {
    const pinned = await runCli(["pin", "app", "--to", live.A.revision.slice(0, 20), "--server", server.url]);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.match(pinned.stdout, new RegExp(`revision: ${live.A.revision}\\n  digest:   ${live.A.digest}`));
    const v = await view();
    assert.equal(v.status.artifact?.revision, live.A.revision);
    assert.equal(v.status.artifact?.digest, live.A.digest);
    assert.equal(v.pin?.to, live.A.revision.slice(0, 20));
    const [, , a] = await historyOf(appYaml);
    assert.equal(v.pin?.asOf, a?.time);

    await server.stop();
    server = await startServerProcess(runArgs(config, storage()));
    const again = await runCli(["reconcile", "bucket", "app", "--server", server.url, "-o", "json"]);
    assert.equal(again.code, 0, again.stderr);
    const answer = JSON.parse(again.stdout) as { status: BucketView["status"] };
    assert.equal(
      answer.status.artifact?.digest,
      live.A.digest,
      "a reconcile after the restart keeps the pin",
    );
    assert.equal((await view()).pin?.asOf, a?.time);

    const unpinned = await runCli(["unpin", "app", "--server", server.url]);
    assert.equal(unpinned.code, 0, unpinned.stderr);
    assert.match(unpinned.stdout, /following the latest/);
    const back = await view();
    assert.equal(back.status.artifact?.digest, live.C.digest);
    assert.equal(back.pin, undefined);
  });
});
