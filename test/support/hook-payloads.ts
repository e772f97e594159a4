// Bucket-event payloads in the shapes the services document (S3 event JSON, MinIO webhook, SNS, Pub/Sub push,
// Event Grid and CloudEvents). Values are made up; the field names and encodings are the documented ones.

/** S3's form-style key encoding, as AWS and MinIO put keys in events: space → '+', '/' and '+' escaped. */
export function formEncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, "+");
}

/** One S3 event record (eventVersion 2.x). `eventName` as AWS spells it ("ObjectCreated:Put") or MinIO ("s3:…"). */
export function s3Record(
  bucket: string,
  key: string,
  eventName = "ObjectCreated:Put",
  extra: { sequencer?: string; versionId?: string; source?: string } = {},
): Record<string, unknown> {
  return {
    eventVersion: "2.1",
    eventSource: extra.source ?? "aws:s3",
    awsRegion: "us-east-1",
    eventTime: "2026-12-01T10:00:00.000Z",
    eventName,
    userIdentity: { principalId: "AWS:EXAMPLE" },
    requestParameters: { sourceIPAddress: "192.0.2.1" },
    responseElements: {
      "x-amz-request-id": "C3D13FE58DE4C810",
      "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
    },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "bucketops",
      bucket: {
        name: bucket,
        ownerIdentity: { principalId: "A3NL1KOZZKExample" },
        arn: `arn:aws:s3:::${bucket}`,
      },
      object: {
        key: formEncodeKey(key),
        size: 1024,
        eTag: "d41d8cd98f00b204e9800998ecf8427e",
        ...(extra.versionId ? { versionId: extra.versionId } : {}),
        sequencer: extra.sequencer ?? "0055AED6DCD90281E5",
      },
    },
  };
}

/** An S3 notification body: {Records: [...]}. */
export function s3Notification(...records: Record<string, unknown>[]): string {
  return JSON.stringify({ Records: records });
}

/** MinIO's webhook body: EventName, Key ("bucket/key", decoded) and one record (eventName with the s3: prefix). */
export function minioWebhookBody(bucket: string, key: string, eventName = "s3:ObjectCreated:Put"): string {
  return JSON.stringify({
    EventName: eventName,
    Key: `${bucket}/${key}`,
    Records: [s3Record(bucket, key, eventName, { source: "minio:s3" })],
  });
}

/** An SNS HTTP(S) delivery of an S3 notification (Type Notification, the event JSON as a string in Message). */
export function snsNotification(message: string): string {
  return JSON.stringify({
    Type: "Notification",
    MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    TopicArn: "arn:aws:sns:us-east-1:123456789012:bucket-events",
    Subject: "Amazon S3 Notification",
    Message: message,
    Timestamp: "2026-12-01T10:00:00.000Z",
    SignatureVersion: "1",
    Signature: "EXAMPLE",
    SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-EXAMPLE.pem",
    UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=EXAMPLE",
  });
}

/** A Pub/Sub push request carrying a Cloud Storage notification (JSON_API_V1 payload). */
export function pubsubPush(
  bucket: string,
  key: string,
  eventType = "OBJECT_FINALIZE",
  extra: { generation?: string; attributes?: Record<string, string>; omitIds?: boolean } = {},
): string {
  const generation = extra.generation ?? "1733047200000000";
  const resource = {
    kind: "storage#object",
    id: `${bucket}/${key}/${generation}`,
    name: key,
    bucket,
    generation,
    metageneration: "1",
    contentType: "application/yaml",
    size: "1024",
    md5Hash: "1B2M2Y8AsgTpgAmY7PhCfg==",
    etag: "CICAgICAgICAgICAgAE=",
  };
  const attributes: Record<string, string> = {
    notificationConfig: `projects/_/buckets/${bucket}/notificationConfigs/1`,
    eventType,
    payloadFormat: "JSON_API_V1",
    ...(extra.omitIds ? {} : { bucketId: bucket, objectId: key }),
    objectGeneration: generation,
    eventTime: "2026-12-01T10:00:00.000000Z",
    ...extra.attributes,
  };
  return JSON.stringify({
    message: {
      attributes,
      data: Buffer.from(JSON.stringify(resource)).toString("base64"),
      messageId: "2070443601311540",
      message_id: "2070443601311540",
      publishTime: "2026-12-01T10:00:00.123Z",
      publish_time: "2026-12-01T10:00:00.123Z",
    },
    subscription: "projects/example-project/subscriptions/bucketops-push",
  });
}

const TOPIC =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts";

/** One Event Grid (schema) blob event: BlobCreated or BlobDeleted. */
export function eventGridBlobEvent(
  account: string,
  container: string,
  key: string,
  eventType = "Microsoft.Storage.BlobCreated",
  sequencer = "00000000000004420000000000028963",
): Record<string, unknown> {
  return {
    topic: `${TOPIC}/${account}`,
    subject: `/blobServices/default/containers/${container}/blobs/${key}`,
    eventType,
    eventTime: "2026-12-01T10:00:00.0000000Z",
    id: "831e1650-001e-001b-66ab-eeb76e069631",
    data: {
      api: eventType.endsWith("Created") ? "PutBlob" : "DeleteBlob",
      clientRequestId: "6d79dbfb-0e37-4fc4-981f-442c9ca65760",
      requestId: "831e1650-001e-001b-66ab-eeb76e000000",
      eTag: "0x8D4BCC2E4835CD0",
      contentType: "application/yaml",
      contentLength: 524288,
      blobType: "BlockBlob",
      url: `https://${account}.blob.core.windows.net/${container}/${key.split("/").map(encodeURIComponent).join("/")}`,
      sequencer,
      storageDiagnostics: { batchId: "b68529f3-68cd-4744-baa4-3c0498ec19f0" },
    },
    dataVersion: "",
    metadataVersion: "1",
  };
}

/** The Event Grid subscription validation event. */
export function eventGridValidation(code: string): string {
  return JSON.stringify([
    {
      id: "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
      topic: `${TOPIC}/example`,
      subject: "",
      data: {
        validationCode: code,
        validationUrl: `https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/hooks/validate?id=${code}&t=2026-12-01T10:00:00Z`,
      },
      eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
      eventTime: "2026-12-01T10:00:00.000Z",
      metadataVersion: "1",
      dataVersion: "1",
    },
  ]);
}

/** A blob event in the CloudEvents 1.0 schema (Event Grid's structured mode). */
export function cloudEventBlobCreated(
  account: string,
  container: string,
  key: string,
): Record<string, unknown> {
  const event = eventGridBlobEvent(account, container, key);
  return {
    specversion: "1.0",
    type: "Microsoft.Storage.BlobCreated",
    source: event.topic,
    subject: event.subject,
    id: event.id,
    time: event.eventTime,
    data: event.data,
  };
}
