import { test } from "node:test";
import assert from "node:assert/strict";
import { entryOrder, inDocumentOrder } from "../../src/providers/s3-versions.js";

// Shape of a ListVersionsResult as AWS documents it (ListObjectVersions, response syntax): one key put, deleted
// and re-created within the same second, so the three entries share a LastModified.
const SAME_SECOND = `<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>
  <MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>
  <Version><Key>a.yaml</Key><VersionId>v3</VersionId><IsLatest>true</IsLatest>
    <LastModified>2026-12-01T10:00:00.000Z</LastModified><ETag>"33"</ETag><Size>3</Size></Version>
  <DeleteMarker><Key>a.yaml</Key><VersionId>d2</VersionId><IsLatest>false</IsLatest>
    <LastModified>2026-12-01T10:00:00.000Z</LastModified></DeleteMarker>
  <Version><Key>a.yaml</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest>
    <LastModified>2026-12-01T10:00:00.000Z</LastModified><ETag>"11"</ETag><Size>1</Size></Version>
  <DeleteMarker><Key>b.yaml</Key><VersionId>d9</VersionId><IsLatest>true</IsLatest>
    <LastModified>2026-12-01T10:00:00.000Z</LastModified></DeleteMarker>
  <Version><Key>b.yaml</Key><VersionId>v8</VersionId><IsLatest>false</IsLatest>
    <LastModified>2026-12-01T10:00:00.000Z</LastModified><ETag>"88"</ETag><Size>8</Size></Version>
</ListVersionsResult>`;

const at = new Date("2026-12-01T10:00:00.000Z");
const versions = [
  { Key: "a.yaml", VersionId: "v3", IsLatest: true, LastModified: at },
  { Key: "a.yaml", VersionId: "v1", IsLatest: false, LastModified: at },
  { Key: "b.yaml", VersionId: "v8", IsLatest: false, LastModified: at },
];
const markers = [
  { Key: "a.yaml", VersionId: "d2", IsLatest: false, LastModified: at },
  { Key: "b.yaml", VersionId: "d9", IsLatest: true, LastModified: at },
];
const ids = (entries: { v: { VersionId?: string } }[]): (string | undefined)[] =>
  entries.map((e) => e.v.VersionId);

void test("entryOrder reads the sequence of Version and DeleteMarker elements, not VersionId or VersionIdMarker", () => {
  assert.deepEqual(entryOrder(SAME_SECOND), [
    "Version",
    "DeleteMarker",
    "Version",
    "DeleteMarker",
    "Version",
  ]);
});

void test("inDocumentOrder interleaves the SDK's two lists as the XML had them, even when timestamps tie", () => {
  const merged = inDocumentOrder(versions, markers, entryOrder(SAME_SECOND));
  assert.deepEqual(ids(merged), ["v3", "d2", "v1", "d9", "v8"]);
  assert.deepEqual(
    merged.map((e) => e.marker),
    [false, true, false, true, false],
  );
});

void test("inDocumentOrder without a matching order merges by key, then the latest first, then newest first", () => {
  for (const order of [undefined, entryOrder("<ListVersionsResult></ListVersionsResult>")]) {
    assert.deepEqual(ids(inDocumentOrder(versions, markers, order)), ["v3", "d2", "v1", "d9", "v8"]);
  }
  const later = new Date(at.getTime() + 1000);
  assert.deepEqual(
    ids(
      inDocumentOrder(
        [{ Key: "k", VersionId: "old", LastModified: at }],
        [{ Key: "k", VersionId: "gone", LastModified: later }],
        undefined,
      ),
    ),
    ["gone", "old"],
  );
});
