// Chart URLs of a helm-s3 style index → object keys; repository credentials from a Secret.
import assert from "node:assert/strict";
import { test } from "node:test";
import { statePathOfUrl } from "../../src/helm/chart-urls.js";
import { challenge, isAuthorized, repoAuthFromSecret, RepoAuthError } from "../../src/helm/repo-auth.js";

const loc = { bucketName: "my-charts", prefixDir: "stable/" };

test("statePathOfUrl maps s3://, gs://, azblob://, path- and host-style http(s) and relative URLs to keys", () => {
  assert.equal(statePathOfUrl("s3://my-charts/stable/a-1.0.0.tgz", loc), "stable/a-1.0.0.tgz");
  assert.equal(statePathOfUrl("gs://my-charts/stable/a-1.0.0.tgz", loc), "stable/a-1.0.0.tgz");
  assert.equal(statePathOfUrl("azblob://my-charts/stable/a-1.0.0.tgz", loc), "stable/a-1.0.0.tgz");
  assert.equal(statePathOfUrl("http://127.0.0.1:9000/my-charts/stable/a%20b.tgz", loc), "stable/a b.tgz");
  assert.equal(
    statePathOfUrl("https://my-charts.s3.eu-west-1.amazonaws.com/stable/a.tgz", loc),
    "stable/a.tgz",
  );
  assert.equal(statePathOfUrl("a-1.0.0.tgz", loc), "stable/a-1.0.0.tgz");
  assert.equal(statePathOfUrl("./sub/a.tgz", loc), "stable/sub/a.tgz");
  assert.equal(statePathOfUrl("s3://other-bucket/stable/a.tgz", loc), undefined);
  assert.equal(statePathOfUrl("https://charts.example.com/a.tgz", loc), undefined);
  assert.equal(statePathOfUrl("../escape.tgz", loc), undefined);
});

test("repoAuthFromSecret reads token or username+password; isAuthorized checks the header's scheme and value", () => {
  const bearer = repoAuthFromSecret({ token: "abc" }, "ns/s");
  assert.ok(isAuthorized(bearer, "Bearer abc"));
  assert.ok(!isAuthorized(bearer, "Bearer abd"));
  assert.ok(!isAuthorized(bearer, "Basic abc"));
  assert.ok(!isAuthorized(bearer, undefined));
  assert.equal(challenge(bearer, "r"), 'Bearer realm="r"');
  const basic = repoAuthFromSecret({ username: "u", password: "p:w" }, "ns/s");
  assert.ok(isAuthorized(basic, `Basic ${Buffer.from("u:p:w").toString("base64")}`));
  assert.ok(!isAuthorized(basic, `Basic ${Buffer.from("u:x").toString("base64")}`));
  assert.throws(
    () => repoAuthFromSecret({ username: "u" }, "ns/s"),
    (e: unknown) => {
      assert.ok(e instanceof RepoAuthError);
      assert.match(e.message, /^Secret ns\/s: needs keys/);
      return true;
    },
  );
});

test("spec.helmRepository passes normalization with its secretRef; an unknown key or an empty Secret name is refused", async () => {
  const { normalizeSpec } = await import("../../src/api/normalize.js");
  const base = { url: "s3://b/p", interval: "5m" };
  assert.deepEqual(normalizeSpec({ ...base, helmRepository: {} }).helmRepository, {});
  assert.deepEqual(normalizeSpec({ ...base, helmRepository: { secretRef: { name: "a" } } }).helmRepository, {
    secretRef: { name: "a" },
  });
  assert.equal(normalizeSpec(base).helmRepository, undefined);
  assert.throws(() => normalizeSpec({ ...base, helmRepository: { bogus: 1 } }), /spec\.helmRepository/);
  assert.throws(
    () => normalizeSpec({ ...base, helmRepository: { secretRef: { name: "" } } }),
    /spec\.helmRepository/,
  );
});
