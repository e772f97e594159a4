// Azure Secret parsing: Flux's precedence, connection strings, and errors that name keys but never values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizeSpec } from "../../src/api/normalize.js";
import {
  AZURITE_ACCOUNT_KEY,
  azureCredentialsFromSecret,
  type AzureCredentialConfig,
} from "../../src/credentials/azure.js";
import { azureAccountName, resolveConnection } from "../../src/credentials/resolve.js";
import { CredentialsError, type SecretData } from "../../src/credentials/secret.js";

const KEY = Buffer.from("a storage account key of 64 bytes, as Azure makes them..........").toString(
  "base64",
);
const PEM =
  "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
const SAS = "sv=2024-08-04&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=c2lnbmF0dXJl";

const parse = (data: SecretData, account = "myaccount"): AzureCredentialConfig =>
  azureCredentialsFromSecret(data, "flux-system/azure", account);

function parseError(data: SecretData, account = "myaccount"): CredentialsError {
  try {
    parse(data, account);
  } catch (error) {
    assert.ok(error instanceof CredentialsError, `expected CredentialsError, got ${String(error)}`);
    assert.match(error.message, /Secret 'flux-system\/azure'/);
    for (const value of Object.values(data)) {
      if (value.length >= 6)
        assert.ok(!error.message.includes(value), "a Secret value appears in the message");
    }
    return error;
  }
  assert.fail("expected azureCredentialsFromSecret to throw");
}

void test("tenantId + clientId + clientSecret is a service principal, with an optional authorityHost", () => {
  assert.deepEqual(parse({ tenantId: "t\n", clientId: " c ", clientSecret: "s" }), {
    type: "servicePrincipal",
    tenantId: "t",
    clientId: "c",
    clientSecret: "s",
  });
  assert.deepEqual(
    parse({
      tenantId: "t",
      clientId: "c",
      clientSecret: "s",
      authorityHost: "https://login.chinacloudapi.cn",
    }),
    {
      type: "servicePrincipal",
      tenantId: "t",
      clientId: "c",
      clientSecret: "s",
      authorityHost: "https://login.chinacloudapi.cn",
    },
  );
});

void test("tenantId + clientId + clientCertificate is a certificate credential with password and sendChain", () => {
  assert.deepEqual(parse({ tenantId: "t", clientId: "c", clientCertificate: PEM }), {
    type: "clientCertificate",
    tenantId: "t",
    clientId: "c",
    certificate: PEM,
  });
  assert.deepEqual(
    parse({
      tenantId: "t",
      clientId: "c",
      clientCertificate: PEM,
      clientCertificatePassword: "pw",
      clientCertificateSendChain: "true",
    }),
    {
      type: "clientCertificate",
      tenantId: "t",
      clientId: "c",
      certificate: PEM,
      password: "pw",
      sendChain: true,
    },
  );
  const noChain = parse({
    tenantId: "t",
    clientId: "c",
    clientCertificate: PEM,
    clientCertificateSendChain: "0",
  });
  assert.equal(noChain.type === "clientCertificate" && noChain.sendChain, false);
});

void test("a clientCertificate that is not PEM is refused", () => {
  const error = parseError({
    tenantId: "t",
    clientId: "c",
    clientCertificate: "MIIKpAIBAzCCCm4GCSqGSIb3DQEHAaCCCl8EggpbMIIKVzCCBg",
  });
  assert.match(error.message, /clientCertificate/);
  assert.match(error.message, /PEM/);
});

void test("clientId alone (or with tenantId, as in Flux) is a managed identity", () => {
  assert.deepEqual(parse({ clientId: "mi-client" }), { type: "managedIdentity", clientId: "mi-client" });
  assert.deepEqual(parse({ clientId: "mi-client", tenantId: "t" }), {
    type: "managedIdentity",
    clientId: "mi-client",
  });
});

void test("accountKey is a shared key for the endpoint's account", () => {
  assert.deepEqual(parse({ accountKey: `${KEY}\n` }), {
    type: "sharedKey",
    accountName: "myaccount",
    accountKey: KEY,
  });
});

void test("sasKey is a SAS token; a leading ? and a whole SAS URL are accepted", () => {
  assert.deepEqual(parse({ sasKey: SAS }), { type: "sas", token: SAS });
  assert.deepEqual(parse({ sasKey: `?${SAS}` }), { type: "sas", token: SAS });
  assert.deepEqual(parse({ sasKey: `https://myaccount.blob.core.windows.net/c?${SAS}` }), {
    type: "sas",
    token: SAS,
  });
});

void test("Flux's precedence: service principal, certificate, managed identity, accountKey, sasKey, connectionString", () => {
  const all: SecretData = {
    tenantId: "t",
    clientId: "c",
    clientSecret: "s",
    clientCertificate: PEM,
    accountKey: KEY,
    sasKey: SAS,
    connectionString: `AccountName=myaccount;AccountKey=${KEY}`,
  };
  const order: AzureCredentialConfig["type"][] = [];
  const data: Record<string, string> = { ...all };
  for (const drop of [
    ["clientSecret"],
    ["clientCertificate"],
    ["tenantId", "clientId"],
    ["accountKey"],
    ["sasKey"],
  ]) {
    order.push(parse(data).type);
    for (const key of drop) delete data[key]; // eslint-disable-line @typescript-eslint/no-dynamic-delete
  }
  order.push(parse(data).type);
  assert.deepEqual(order, [
    "servicePrincipal",
    "clientCertificate",
    "managedIdentity",
    "sharedKey",
    "sas",
    "sharedKey",
  ]);
});

void test("connectionString: AccountName + AccountKey, SharedAccessSignature, or UseDevelopmentStorage", () => {
  assert.deepEqual(
    parse({
      connectionString: `DefaultEndpointsProtocol=https;AccountName=myaccount;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
    }),
    { type: "sharedKey", accountName: "myaccount", accountKey: KEY },
  );
  assert.deepEqual(
    parse(
      {
        connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`,
      },
      "devstoreaccount1",
    ),
    { type: "sharedKey", accountName: "devstoreaccount1", accountKey: AZURITE_ACCOUNT_KEY },
  );
  assert.deepEqual(parse({ connectionString: "UseDevelopmentStorage=true" }, "devstoreaccount1"), {
    type: "sharedKey",
    accountName: "devstoreaccount1",
    accountKey: AZURITE_ACCOUNT_KEY,
  });
  assert.deepEqual(
    parse({
      connectionString: `BlobEndpoint=https://myaccount.blob.core.windows.net;SharedAccessSignature=${SAS}`,
    }),
    { type: "sas", token: SAS },
  );
});

void test("a connectionString for another account, or without credentials, is refused", () => {
  const other = parseError({ connectionString: `AccountName=other;AccountKey=${KEY}` });
  assert.match(other.message, /account 'other'/);
  assert.match(other.message, /account 'myaccount'/);
  const empty = parseError({ connectionString: "BlobEndpoint=https://myaccount.blob.core.windows.net" });
  assert.match(empty.message, /AccountName \+ AccountKey or SharedAccessSignature/);
  assert.match(empty.message, /fields present: blobendpoint/);
});

void test("no credential keys: the message lists what to add and the keys present", () => {
  const error = parseError({ region: "westeurope", "ca.crt": "-----BEGIN CERTIFICATE-----" });
  for (const key of [
    "tenantId",
    "clientId",
    "clientSecret",
    "clientCertificate",
    "accountKey",
    "sasKey",
    "connectionString",
  ]) {
    assert.match(error.message, new RegExp(key));
  }
  assert.match(error.message, /keys present: ca\.crt, region/);
  assert.match(parseError({}).message, /keys present: none/);
  assert.match(
    parseError({ accountKey: "  \n" }).message,
    /has no Azure credentials/,
    "blank values count as absent",
  );
});

void test("a service-principal key without its partners names the missing ones", () => {
  const noTenant = parseError({ clientId: "c", clientSecret: "secret-value-123" });
  assert.match(noTenant.message, /has clientSecret but lacks tenantId/);
  const noClient = parseError({ tenantId: "t", clientCertificate: PEM });
  assert.match(noClient.message, /has clientCertificate but lacks clientId/);
  const neither = parseError({ clientSecret: "secret-value-456" });
  assert.match(neither.message, /lacks tenantId and clientId/);
});

void test("malformed values are named, never shown", () => {
  assert.match(parseError({ accountKey: "not-base64-value!" }).message, /accountKey that is not base64/);
  assert.match(
    parseError({ sasKey: "sv=2024-08-04&sp=rl&other=value" }).message,
    /sasKey without a signature/,
  );
  assert.match(
    parseError({ accountKey: KEY }, "").message,
    /storage account cannot be read from spec\.endpoint/,
  );
  assert.match(
    parseError({ tenantId: "t", clientId: "c", clientSecret: "sp-secret", authorityHost: "login.example" })
      .message,
    /authorityHost that is not an https:\/\/ URL/,
  );
});

void test("the account comes from the endpoint: <account>.blob.core.windows.net or Azurite's /<account> path", () => {
  assert.equal(azureAccountName("https://myaccount.blob.core.windows.net"), "myaccount");
  assert.equal(azureAccountName("https://myaccount.blob.core.windows.net/"), "myaccount");
  assert.equal(azureAccountName("http://127.0.0.1:10000/devstoreaccount1"), "devstoreaccount1");
});

void test("an azblob:// url resolves to the account's endpoint, and its accountKey Secret to that account", async () => {
  const spec = normalizeSpec({
    url: "azblob://myaccount/manifests/prod",
    interval: "5m",
    secretRef: { name: "azure" },
  });
  assert.equal(spec.provider, "azure");
  assert.equal(spec.endpoint, "https://myaccount.blob.core.windows.net");
  assert.equal(spec.bucketName, "manifests");
  assert.equal(spec.prefix, "prod");
  const connection = await resolveConnection(spec, "flux-system", (namespace, name) =>
    Promise.resolve(namespace === "flux-system" && name === "azure" ? { accountKey: KEY } : undefined),
  );
  assert.deepEqual(connection, {
    kind: "azure",
    endpoint: "https://myaccount.blob.core.windows.net",
    containerName: "manifests",
    transport: {},
    credentials: { type: "sharedKey", accountName: "myaccount", accountKey: KEY },
  });
});

void test("the long form with an Azurite endpoint resolves to the development account", async () => {
  const spec = normalizeSpec({
    provider: "azure",
    bucketName: "c01",
    endpoint: "http://127.0.0.1:10000/devstoreaccount1",
    interval: "5m",
    secretRef: { name: "azure" },
  });
  const connection = await resolveConnection(spec, "default", () =>
    Promise.resolve({ accountKey: AZURITE_ACCOUNT_KEY }),
  );
  assert.equal(connection.kind, "azure");
  assert.deepEqual(connection.kind === "azure" && connection.credentials, {
    type: "sharedKey",
    accountName: "devstoreaccount1",
    accountKey: AZURITE_ACCOUNT_KEY,
  });
});
