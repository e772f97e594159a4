// The flux-style verbs against `bucketops run` (file:// Buckets): get/-A/-o, reconcile, suspend/resume (kept
// across a restart of run), events, export, create, delete (refused: a file), exit codes and the API token on a
// non-loopback listen address.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { runArgs, runCli, startServerProcess } from "../support/cli.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

let work: string;
let config: string;
let storage: string;
let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;

const bucket = (
  name: string,
  namespace: string,
  folder: string,
): string => `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: ${namespace}}
spec: {interval: 10m, url: "file://${folder}"}
`;

before(async () => {
  work = await makeTempDir("cli-verbs");
  config = path.join(work, "config");
  storage = path.join(work, "storage");
  for (const folder of ["site", "other"]) {
    await mkdir(path.join(config, folder), { recursive: true });
    await writeFile(path.join(config, folder, "app.yaml"), `kind: ConfigMap\nmetadata: {name: ${folder}}\n`);
  }
  await writeFile(path.join(config, "site.yaml"), bucket("site", "flux-system", "site"));
  await writeFile(path.join(config, "other.yaml"), bucket("other", "team-a", "other"));
});

after(async () => {
  await server?.stop();
  if (work) await removeDir(work);
});

async function startRun(...extra: string[]): Promise<string> {
  await server?.stop();
  server = await startServerProcess(runArgs(config, storage, ...extra));
  const url = server.url.replace("localhost", "127.0.0.1");
  // The first reconciles start with the server: wait until both Buckets have settled (Ready or suspended).
  await waitFor("both Buckets reconciled", async () => {
    const body = (await (await fetch(`${url}/api/buckets`)).json()) as {
      items: {
        suspended: boolean;
        reconciling: boolean;
        status: { conditions: { type: string; status: string }[] };
      }[];
    };
    return (
      body.items.length === 2 &&
      body.items.every(
        (b) =>
          !b.reconciling &&
          (b.suspended || b.status.conditions.some((c) => c.type === "Ready" && c.status === "True")),
      )
    );
  });
  return url;
}

/** `bucketops <args> --server <url>`. */
const cli = (url: string, ...args: string[]): ReturnType<typeof runCli> => runCli([...args, "--server", url]);

test("get sources bucket: flux's columns for the flux-system namespace by default, NAMESPACE and every Bucket with -A, wide adds URL", async () => {
  const url = await startRun();
  const plain = await cli(url, "get", "sources", "bucket");
  assert.equal(plain.code, 0, plain.stderr);
  const [header, ...rows] = plain.stdout.trim().split("\n");
  assert.match(header ?? "", /^NAME\s+REVISION\s+SUSPENDED\s+READY\s+MESSAGE$/);
  assert.equal(rows.length, 1);
  assert.match(rows[0] ?? "", /^site\s+sha256:[0-9a-f]{12}\s+False\s+True\s+stored artifact/);

  const all = await cli(url, "get", "sources", "bucket", "-A");
  assert.match(all.stdout.split("\n")[0] ?? "", /^NAMESPACE\s+NAME\s+REVISION/);
  assert.deepEqual(
    all.stdout
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(/\s+/).slice(0, 2).join("/")),
    ["flux-system/site", "team-a/other"],
  );
  const wide = await cli(url, "get", "sources", "bucket", "site", "-o", "wide");
  assert.match(wide.stdout, /URL\s+AGE/);
  assert.match(wide.stdout, /http:\/\/127\.0\.0\.1:\d+\/bucket\/flux-system\/site\//);

  const none = await cli(url, "get", "sources", "bucket", "-n", "empty");
  assert.equal(none.code, 0);
  assert.match(none.stderr, /no Bucket objects found in the empty namespace \(every namespace: -A\)/);
});

test("get sources bucket -o json|yaml: a Bucket object for a NAME, a v1 List for several; export drops status and generation", async () => {
  const url = await startRun();
  const one = JSON.parse((await cli(url, "get", "sources", "bucket", "site", "-o", "json")).stdout) as Record<
    string,
    unknown
  >;
  assert.equal(one.apiVersion, "source.toolkit.fluxcd.io/v1");
  assert.equal(one.kind, "Bucket");
  assert.deepEqual(one.metadata, { name: "site", namespace: "flux-system", generation: 1 });
  assert.deepEqual(one.spec, { interval: "10m", url: "file://site" });
  assert.match(JSON.stringify(one.status), /"type":"Ready","status":"True"/);

  const list = parse((await cli(url, "get", "sources", "bucket", "-A", "-o", "yaml")).stdout) as {
    apiVersion: string;
    kind: string;
    items: { metadata: { name: string } }[];
  };
  assert.equal(list.apiVersion, "v1");
  assert.equal(list.kind, "List");
  assert.deepEqual(
    list.items.map((i) => i.metadata.name),
    ["site", "other"],
  );

  const exported = await cli(url, "export", "source", "bucket", "--all", "-A");
  assert.equal(exported.code, 0, exported.stderr);
  const docs = parseAllDocuments(exported.stdout).map((d) => d.toJS() as Record<string, unknown>);
  assert.deepEqual(docs[0], {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "Bucket",
    metadata: { name: "site", namespace: "flux-system" },
    spec: { interval: "10m", url: "file://site" },
  });
  assert.equal(docs.length, 2);
  assert.equal((await cli(url, "export", "source", "bucket")).code, 2, "neither a name nor --all");
});

test("reconcile prints the new revision; suspend shows SUSPENDED True and survives a restart of run; reconcile while suspended exits 1; resume reconciles; events list them", async () => {
  let url = await startRun();
  const reconciled = await cli(url, "reconcile", "source", "bucket", "site");
  assert.equal(reconciled.code, 0, reconciled.stderr);
  assert.match(reconciled.stdout, /^✔ fetched revision sha256:[0-9a-f]{64}\n$/);
  assert.match(reconciled.stderr, /annotating Bucket site in flux-system namespace/);

  const suspended = await cli(url, "suspend", "source", "bucket", "site");
  assert.equal(suspended.code, 0, suspended.stderr);
  assert.match(suspended.stderr, /✔ Bucket suspended/);

  url = await startRun();
  const row = (await cli(url, "get", "sources", "bucket", "site")).stdout.split("\n")[1] ?? "";
  assert.match(row, /^site\s+sha256:\S+\s+True\s/, "suspended after the restart");
  const refused = await cli(url, "reconcile", "source", "bucket", "site");
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /is suspended/);

  const resumed = await cli(url, "resume", "source", "bucket", "site");
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /fetched revision sha256:[0-9a-f]{64}/);
  assert.match(
    (await cli(url, "get", "sources", "bucket", "site")).stdout,
    /\nsite\s+sha256:\S+\s+False\s+True/,
  );

  const events = await cli(url, "events", "--for", "Bucket/site");
  assert.equal(events.code, 0, events.stderr);
  assert.match(events.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
  assert.match(events.stdout, /Normal\s+Resumed\s+Bucket\/site\s+resumed through the API/);
  const json = JSON.parse((await cli(url, "events", "-A", "-o", "json")).stdout) as {
    items: { name: string; reason: string }[];
  };
  assert.ok(json.items.some((e) => e.name === "site" && e.reason === "Resumed"));
});

test("create --export prints a v1 Bucket; against a server it prints the YAML with a hint; bad flags exit 2", async () => {
  const url = await startRun();
  const args = [
    "create",
    "source",
    "bucket",
    "podinfo",
    "--bucket-name",
    "podinfo",
    "--endpoint",
    "minio:9000",
  ];
  const exported = await runCli([
    ...args,
    "--insecure",
    "--secret-ref",
    "creds",
    "--prefix",
    "app/",
    "--export",
  ]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.deepEqual(parse(exported.stdout), {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "Bucket",
    metadata: { name: "podinfo", namespace: "flux-system" },
    spec: {
      interval: "1m",
      provider: "generic",
      bucketName: "podinfo",
      endpoint: "minio:9000",
      prefix: "app/",
      secretRef: { name: "creds" },
      insecure: true,
    },
  });
  const onServer = await cli(url, ...args);
  assert.equal(onServer.code, 0);
  assert.match(onServer.stdout, /kind: Bucket/);
  assert.match(onServer.stderr, /save this YAML there/);
  const noName = await runCli(["create", "source", "bucket", "x", "--endpoint", "e:1", "--export"]);
  assert.equal(noName.code, 2);
  assert.match(noName.stderr, /--bucket-name is required/);
  const badInterval = await runCli([...args, "--interval", "soon", "--export"]);
  assert.equal(badInterval.code, 2);
  assert.match(badInterval.stderr, /spec\.interval/);
});

test("delete source bucket on a server exits 1 naming the YAML file; unknown Bucket exits 1; bad -o exits 2; no server exits 3", async () => {
  const url = await startRun();
  const deleted = await cli(url, "delete", "source", "bucket", "site", "--silent");
  assert.equal(deleted.code, 1);
  assert.ok(deleted.stderr.includes(path.join(config, "site.yaml")), deleted.stderr);
  assert.match(deleted.stderr, /cannot delete it; remove it from that file/);
  const missing = await cli(url, "get", "sources", "bucket", "nope");
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Bucket flux-system\/nope not found/);
  assert.equal((await cli(url, "get", "sources", "bucket", "-o", "xml")).code, 2);
  const down = await cli("http://127.0.0.1:1", "get", "sources", "bucket");
  assert.equal(down.code, 3);
  assert.match(down.stderr, /cannot reach the bucketops server/);
});

test("run on 0.0.0.0 with --api-token-file: suspend without a token gets 401 (exit 1), with --token or BUCKETOPS_TOKEN it works; get needs none; without a token file writes are refused", async () => {
  const tokenFile = path.join(work, "token");
  await writeFile(tokenFile, "t0ken\n");
  // Listens on every interface (the rule is about the listen address); the test connects over loopback.
  const url = await startRun("--listen", "0.0.0.0:0", "--api-token-file", tokenFile);
  const denied = await cli(url, "suspend", "source", "bucket", "site");
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /needs Authorization: Bearer <token>/);
  assert.equal((await cli(url, "get", "sources", "bucket", "site")).code, 0);
  const withFlag = await cli(url, "suspend", "source", "bucket", "site", "--token", "t0ken");
  assert.equal(withFlag.code, 0, withFlag.stderr);
  const withEnv = await runCli(["resume", "source", "bucket", "site", "--server", url], {
    env: { BUCKETOPS_TOKEN: "t0ken" },
  });
  assert.equal(withEnv.code, 0, withEnv.stderr);
  const older = await runCli(["reconcile", "bucket", "site", "-n", "flux-system", "--server", url], {
    env: { BUCKETOPS_TOKEN: "t0ken" },
  });
  assert.equal(older.code, 0, `the older verbs send BUCKETOPS_TOKEN too: ${older.stderr}`);

  const open = await startRun("--listen", "0.0.0.0:0");
  const refused = await cli(open, "reconcile", "source", "bucket", "site");
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /beyond loopback: writes need a token/);
});
