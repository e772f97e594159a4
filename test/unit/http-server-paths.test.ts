// The artifact server over a real socket: only bucket/ is served; the cache, the runtime state, dotfiles (temp
// files) and every spelling of "..", raw or percent-encoded, are refused.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import path from "node:path";
import { test } from "node:test";
import { pino } from "pino";
import { createServing } from "../../src/storage/serving.js";
import { textResponse, type TextResponse } from "../support/http.js";
import { tempDir } from "../support/temp.js";

const SECRET = "cache-or-state-content-7f3e";

/** GET with the path sent byte for byte (fetch() would normalize "..", node:http does not). */
function rawGet(base: string, rawPath: string): Promise<TextResponse> {
  const { hostname, port } = new URL(base);
  return textResponse(request({ hostname, port, path: rawPath, method: "GET" }));
}

test("the artifact server refuses ../cache, ../state, dotfiles and encoded traversal, and serves bucket/", async (t) => {
  const root = await tempDir(t, "serve");
  const put = async (rel: string, content: string): Promise<void> => {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  };
  await put("bucket/ns/app/latest.tar.gz", "the artifact");
  await put("bucket/ns/app/.tmp-123.tar.gz", SECRET);
  await put("bucket/ns/app/.hidden/x.tar.gz", SECRET);
  await put("bucket/.env", SECRET);
  await put("cache/ns/app/packs/p1", SECRET);
  await put("state/ns/app.json", SECRET);
  await put("secret.txt", SECRET);

  const serving = await createServing({
    storageRoot: root,
    retentionRecords: 2,
    retentionTtlMs: 60_000,
    logger: pino({ level: "silent" }),
  });
  t.after(() => serving.app.close());
  const url = await serving.listen("127.0.0.1:0");

  // The control: a file under bucket/ is served, so the refusals below are refusals, not a dead server.
  const good = await rawGet(url, "/bucket/ns/app/latest.tar.gz");
  assert.equal(good.status, 200);
  assert.equal(good.body, "the artifact");

  const refused = [
    "/cache/ns/app/packs/p1",
    "/state/ns/app.json",
    "/bucket/../cache/ns/app/packs/p1",
    "/bucket/../state/ns/app.json",
    "/bucket/../secret.txt",
    "/bucket/ns/app/../../../state/ns/app.json",
    "/bucket/%2e%2e/cache/ns/app/packs/p1",
    "/bucket/%2E%2E/state/ns/app.json",
    "/bucket/%2e%2e%2fstate%2fns%2fapp.json",
    "/bucket/..%2fstate/ns/app.json",
    "/bucket/..%2Fsecret.txt",
    "/bucket/ns/app/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/bucket/%252e%252e/secret.txt",
    "/bucket/..%5csecret.txt",
    "/bucket/ns/app/.tmp-123.tar.gz",
    "/bucket/ns/app/%2etmp-123.tar.gz",
    "/bucket/ns/app/.hidden/x.tar.gz",
    "/bucket/.env",
    "/bucket//../secret.txt",
  ];
  for (const rawPath of refused) {
    const res = await rawGet(url, rawPath);
    assert.ok(res.status >= 400 && res.status < 500, `${rawPath} answered ${res.status}`);
    assert.ok(!res.body.includes(SECRET), `${rawPath} leaked content: ${res.body}`);
  }
});
