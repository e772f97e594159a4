// spec.sts pieces that need no server: STS response parsing (MinIO's documented XML shape), the Secret and
// endpoint checks, and how resolveConnection wires each STS provider. The calls themselves are tested against
// real servers in test/integration/sts-ldap.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizeSpec } from "../../src/api/normalize.js";
import { SpecError } from "../../src/api/errors.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import { CredentialsError } from "../../src/credentials/secret.js";
import { awsStsClientConfig } from "../../src/credentials/sts-aws.js";
import {
  ldapLoginFromSecret,
  parseLdapStsResponse,
  parseStsError,
  stsEndpointUrl,
} from "../../src/credentials/sts-ldap.js";

// As MinIO documents and sends it (docs/sts/ldap.md; captured from MinIO RELEASE 2026-02 in the integration test).
const SUCCESS = `<?xml version="1.0" encoding="UTF-8"?>
<AssumeRoleWithLDAPIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithLDAPIdentityResult>
    <Credentials>
      <AccessKeyId>Y4RJU1RNFGK48LGO9I2S</AccessKeyId>
      <SecretAccessKey>sYLRKS1Z7hSjluf6gEbb9066hnx315wHTiACPAjg</SecretAccessKey>
      <Expiration>2019-08-08T20:26:12Z</Expiration>
      <SessionToken>eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3NLZXkiOiJZNFJKVTFSTkZHSzQ4TEdPOUkyUyJ9.a</SessionToken>
    </Credentials>
  </AssumeRoleWithLDAPIdentityResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleWithLDAPIdentityResponse>`;

const FAILURE = `<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type></Type><Code>InvalidParameterValue</Code><Message>LDAP server error: LDAP auth failed for DN uid=flux,ou=people,dc=example,dc=org: LDAP Result Code 49 &#34;Invalid Credentials&#34;: </Message></Error><RequestId>18EB54765A5ABAE1</RequestId></ErrorResponse>`;

test("parseLdapStsResponse reads the four credential fields of MinIO's response", () => {
  const creds = parseLdapStsResponse(SUCCESS);
  assert.equal(creds.accessKeyId, "Y4RJU1RNFGK48LGO9I2S");
  assert.equal(creds.secretAccessKey, "sYLRKS1Z7hSjluf6gEbb9066hnx315wHTiACPAjg");
  assert.match(creds.sessionToken, /^eyJhbGciOiJIUzUxMiIs/);
  assert.equal(creds.expiration.toISOString(), "2019-08-08T20:26:12.000Z");
});

test("parseLdapStsResponse keeps digit-only values as strings and rejects incomplete or foreign answers", () => {
  const numeric = SUCCESS.replace("Y4RJU1RNFGK48LGO9I2S", "0012345");
  assert.equal(parseLdapStsResponse(numeric).accessKeyId, "0012345");
  assert.throws(
    () => parseLdapStsResponse(SUCCESS.replace(/<SessionToken>.*<\/SessionToken>/, "")),
    /lacks SessionToken/,
  );
  assert.throws(
    () => parseLdapStsResponse(SUCCESS.replace("2019-08-08T20:26:12Z", "tomorrow")),
    /lacks Expiration/,
  );
  assert.throws(() => parseLdapStsResponse(FAILURE), /not an AssumeRoleWithLDAPIdentityResponse/);
  assert.throws(
    () => parseLdapStsResponse("<html><body>404</body></html>"),
    /not an AssumeRoleWithLDAPIdentity/,
  );
  assert.throws(() => parseLdapStsResponse("not xml <"), /not an AssumeRoleWithLDAPIdentity/);
});

test("parseStsError reads Code and Message (entities decoded) of STS and S3 error documents", () => {
  assert.deepEqual(parseStsError(FAILURE), {
    code: "InvalidParameterValue",
    message:
      'LDAP server error: LDAP auth failed for DN uid=flux,ou=people,dc=example,dc=org: LDAP Result Code 49 "Invalid Credentials":',
  });
  assert.deepEqual(
    parseStsError("<Error><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>"),
    { code: "AccessDenied", message: "Access Denied." },
  );
  assert.equal(parseStsError(SUCCESS), undefined);
  assert.equal(parseStsError("plain text"), undefined);
});

test("ldapLoginFromSecret needs username and password (Flux's keys) and never echoes values", () => {
  assert.deepEqual(ldapLoginFromSecret({ username: " flux\n", password: "p w" }, "ns/ldap"), {
    username: "flux",
    password: "p w",
  });
  assert.throws(
    () => ldapLoginFromSecret({ user: "flux", password: "hunter2" }, "ns/ldap"),
    (error: Error) =>
      error instanceof CredentialsError &&
      error.message ===
        "Secret 'ns/ldap' (spec.sts.secretRef) lacks username for the ldap STS provider (keys present: password, user)",
  );
  assert.throws(() => ldapLoginFromSecret({ username: "flux", password: "" }, "ns/ldap"), /lacks password/);
  assert.throws(() => ldapLoginFromSecret({}, "ns/ldap"), /lacks username and password .*keys present: none/);
});

test("stsEndpointUrl takes http(s) URLs only (Flux's CRD pattern), as URLInvalid", () => {
  assert.equal(stsEndpointUrl("https://minio.example.com:9000").host, "minio.example.com:9000");
  for (const bad of ["minio.example.com:9000", "ftp://minio", "https//x"]) {
    assert.throws(
      () => stsEndpointUrl(bad),
      (error: Error) => error instanceof SpecError && error.reason === "URLInvalid",
    );
  }
});

test("sts aws: the chain's STS client gets spec.sts.endpoint and its own request handler", () => {
  const config = awsStsClientConfig("https://sts.eu-west-1.amazonaws.com");
  assert.equal(config.endpoint, "https://sts.eu-west-1.amazonaws.com");
  assert.ok(config.requestHandler, "not the S3 client's handler (its certSecretRef CA is for the bucket)");
  config.requestHandler.destroy();
  assert.throws(() => awsStsClientConfig("sts.amazonaws.com"), /spec\.sts\.endpoint/);
});

test("resolveConnection: sts gives a credential provider; spec.secretRef wins over sts, as in Flux", async () => {
  const secrets: Record<string, Record<string, string>> = {
    static: { accesskey: "AK", secretkey: "SK" },
  };
  const read = (_ns: string, name: string) => Promise.resolve(secrets[name]);
  const aws = normalizeSpec({
    provider: "aws",
    bucketName: "b",
    interval: "5m",
    sts: { provider: "aws", endpoint: "https://sts.eu-west-1.amazonaws.com" },
  });
  const awsConn = await resolveConnection(aws, "default", read);
  assert.equal(awsConn.kind, "s3");
  assert.equal(typeof (awsConn.kind === "s3" ? awsConn.credentials : undefined), "function");

  const bothInput = {
    provider: "generic",
    bucketName: "b",
    endpoint: "127.0.0.1:1",
    interval: "5m",
    secretRef: { name: "static" },
    sts: { provider: "ldap", endpoint: "http://127.0.0.1:1", secretRef: { name: "missing" } },
  };
  const both = normalizeSpec(bothInput);
  const bothConn = await resolveConnection(both, "default", read);
  assert.deepEqual(bothConn.kind === "s3" ? bothConn.credentials : undefined, {
    accessKeyId: "AK",
    secretAccessKey: "SK",
  });

  const missingSecret = normalizeSpec({ ...bothInput, secretRef: undefined });
  await assert.rejects(
    resolveConnection(missingSecret, "default", read),
    /Secret 'default\/missing' not found/,
  );
});
