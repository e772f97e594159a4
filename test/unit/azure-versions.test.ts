// The Azure version listing on List Blobs responses shaped as the REST reference documents them (List Blobs,
// include=versions: <Blob> with <VersionId> and <IsCurrentVersion>, versions of a blob ascending), parsed by the
// real @azure/storage-blob client: Azurite keeps no blob versions, so these responses are written here.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AnonymousCredential,
  ContainerClient,
  newPipeline,
  type HttpHeaders,
  type HttpOperationResponse,
  type IHttpClient,
  type WebResource,
} from "@azure/storage-blob";
import {
  AZURE_DELETED_SUFFIX,
  AZURE_UNVERSIONED_ID,
  listAzureVersions,
} from "../../src/providers/azure-versions.js";
import { ProviderError, type ObjectVersion } from "../../src/providers/types.js";

const ENDPOINT = "https://account.blob.core.windows.net";

function blob(
  name: string,
  version: { id?: string; current?: boolean },
  etag: string,
  size: number,
  md5 = "",
): string {
  return `<Blob><Name>${name}</Name>${version.id === undefined ? "" : `<VersionId>${version.id}</VersionId>`}${
    version.current === undefined ? "" : `<IsCurrentVersion>${String(version.current)}</IsCurrentVersion>`
  }<Properties><Creation-Time>Tue, 01 Dec 2026 09:00:00 GMT</Creation-Time><Last-Modified>Tue, 01 Dec 2026 10:00:00 GMT</Last-Modified><Etag>${etag}</Etag><Content-Length>${size}</Content-Length><Content-Type>application/yaml</Content-Type><Content-MD5>${md5}</Content-MD5><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted></Properties></Blob>`;
}

function page(blobs: string[], nextMarker: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="${ENDPOINT}/" ContainerName="ctr"><Prefix>cfg/</Prefix><MaxResults>1000</MaxResults><Blobs>${blobs.join("")}</Blobs><NextMarker>${nextMarker}</NextMarker></EnumerationResults>`;
}

const V = {
  a1: "2026-12-01T10:00:00.1000000Z",
  a2: "2026-12-01T10:05:00.2000000Z",
  b1: "2026-12-01T10:01:00.0000000Z",
  b2: "2026-12-01T10:02:00.0000000Z",
  b3: "2026-12-01T10:03:00.0000000Z",
};
const MD5_A2 = Buffer.from("0123456789abcdef0123456789abcdef", "hex").toString("base64");

/** Two pages: a.yaml (current v2), b.yaml straddling the pages and deleted (no current version), c.yaml unversioned. */
const PAGES = [
  page(
    [
      blob("cfg/a.yaml", { id: V.a1, current: false }, "0x8DA1", 5),
      blob("cfg/a.yaml", { id: V.a2, current: true }, "0x8DA2", 7, MD5_A2),
      blob("cfg/b.yaml", { id: V.b1, current: false }, "0x8DB1", 3),
    ],
    "marker-2",
  ),
  page(
    [
      blob("cfg/b.yaml", { id: V.b2, current: false }, "0x8DB2", 4),
      blob("cfg/b.yaml", { id: V.b3, current: false }, "0x8DB3", 5),
      blob("cfg/c.yaml", {}, "0x8DC0", 6),
    ],
    "",
  ),
];

/** Answers each List Blobs request with the next canned body; records the request URLs. */
function cannedClient(bodies: string[]): { client: IHttpClient; urls: URL[] } {
  const urls: URL[] = [];
  const client: IHttpClient = {
    sendRequest(request: WebResource): Promise<HttpOperationResponse> {
      urls.push(new URL(request.url));
      const body = bodies[urls.length - 1] ?? "";
      const values: Record<string, string> = {
        "content-type": "application/xml",
        "x-ms-request-id": `r${urls.length}`,
        "x-ms-version": "2026-02-06",
      };
      // Only toJson is read when the compat layer converts the response (core-http-compat toPipelineResponse).
      const headers = { toJson: () => values } as unknown as HttpHeaders;
      return Promise.resolve({ request, status: 200, headers, bodyAsText: body });
    },
  };
  return { client, urls };
}

function container(client: IHttpClient): ContainerClient {
  return new ContainerClient(
    `${ENDPOINT}/ctr`,
    newPipeline(new AnonymousCredential(), { httpClient: client, retryOptions: { maxTries: 1 } }),
  );
}

const listedAt = new Date("2026-12-02T00:00:00.000Z");

async function collect(items: AsyncIterable<ObjectVersion>): Promise<ObjectVersion[]> {
  const out: ObjectVersion[] = [];
  for await (const item of items) out.push(item);
  return out;
}

void test("listAzureVersions sends include=versions with the prefix and page marker, and gives each blob's versions newest first at their versionId time, a deleted blob a marker at the listing time, an unversioned blob as the null version", async () => {
  const { client, urls } = cannedClient(PAGES);
  const requests = { list: 0, get: 0, head: 0, put: 0, delete: 0 };
  const versions = await collect(
    listAzureVersions(container(client), {
      prefix: "cfg/",
      requests,
      pageSize: 1000,
      now: () => listedAt,
      keyOf: (name) => name,
    }),
  );
  const at = (iso: string): Date => new Date(iso);
  assert.deepEqual(versions, [
    {
      key: "cfg/a.yaml",
      versionId: V.a2,
      lastModified: at(V.a2),
      deleteMarker: false,
      etag: "0x8DA2",
      size: 7,
      md5: "0123456789abcdef0123456789abcdef",
    },
    {
      key: "cfg/a.yaml",
      versionId: V.a1,
      lastModified: at(V.a1),
      deleteMarker: false,
      etag: "0x8DA1",
      size: 5,
    },
    {
      key: "cfg/b.yaml",
      versionId: `${V.b3}${AZURE_DELETED_SUFFIX}`,
      lastModified: listedAt,
      deleteMarker: true,
      etag: "",
      size: 0,
    },
    {
      key: "cfg/b.yaml",
      versionId: V.b3,
      lastModified: at(V.b3),
      deleteMarker: false,
      etag: "0x8DB3",
      size: 5,
    },
    {
      key: "cfg/b.yaml",
      versionId: V.b2,
      lastModified: at(V.b2),
      deleteMarker: false,
      etag: "0x8DB2",
      size: 4,
    },
    {
      key: "cfg/b.yaml",
      versionId: V.b1,
      lastModified: at(V.b1),
      deleteMarker: false,
      etag: "0x8DB1",
      size: 3,
    },
    {
      key: "cfg/c.yaml",
      versionId: AZURE_UNVERSIONED_ID,
      lastModified: new Date("2026-12-01T10:00:00.000Z"),
      deleteMarker: false,
      etag: "0x8DC0",
      size: 6,
    },
  ]);
  assert.equal(requests.list, 2);
  assert.equal(urls.length, 2);
  for (const url of urls) {
    assert.equal(url.searchParams.get("comp"), "list");
    assert.equal(url.searchParams.get("include"), "versions");
    assert.equal(url.searchParams.get("prefix"), "cfg/");
    assert.equal(url.searchParams.get("maxresults"), "1000");
  }
  assert.equal(urls[0]?.searchParams.get("marker"), null);
  assert.equal(urls[1]?.searchParams.get("marker"), "marker-2");
});

void test("listAzureVersions reports the first page (any version id, empty) to onFirstPage before yielding, which may stop the listing", async () => {
  const unversioned = page([blob("cfg/x.yaml", {}, "0x1", 1)], "more");
  const { client, urls } = cannedClient([unversioned, unversioned]);
  const seen: [boolean, boolean][] = [];
  const listing = listAzureVersions(container(client), {
    prefix: "cfg/",
    requests: { list: 0, get: 0, head: 0, put: 0, delete: 0 },
    pageSize: 1000,
    now: () => listedAt,
    keyOf: (name) => name,
    onFirstPage: (versioned, empty) => {
      seen.push([versioned, empty]);
      throw new ProviderError("NotVersioned", "no version ids");
    },
  });
  await assert.rejects(
    collect(listing),
    (error: unknown) => error instanceof ProviderError && error.kind === "NotVersioned",
  );
  assert.deepEqual(seen, [[false, false]]);
  assert.equal(urls.length, 1, "no second page after the first said no versions");

  const { client: empty } = cannedClient([page([], "")]);
  const flags: [boolean, boolean][] = [];
  await collect(
    listAzureVersions(container(empty), {
      prefix: "",
      requests: { list: 0, get: 0, head: 0, put: 0, delete: 0 },
      pageSize: 1000,
      now: () => listedAt,
      keyOf: (name) => name,
      onFirstPage: (versioned, isEmpty) => flags.push([versioned, isEmpty]),
    }),
  );
  assert.deepEqual(flags, [[false, true]]);
});
