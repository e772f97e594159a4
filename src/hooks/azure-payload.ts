// Azure Event Grid blob events, in the Event Grid schema (an array) or the CloudEvents 1.0 schema.
import {
  isObject,
  objectAt,
  optionalString,
  parseJsonBody,
  stringAt,
  type JsonObject,
} from "./json-fields.js";
import { HookPayloadError, type BucketEvent, type HookMessage } from "./message.js";

const VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent";
const BLOB_SUBJECT = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/;
const ACCOUNT = /\/storageAccounts\/([^/]+)/i;

/**
 * Reads Event Grid deliveries: an array of events (Event Grid schema or a CloudEvents batch) or one CloudEvent.
 * BlobCreated changes the blob named by `subject` (`/blobServices/default/containers/<c>/blobs/<key>`), BlobDeleted
 * removes it, BlobRenamed does both (source from `data.sourceUrl`); other event types are ignored. The
 * SubscriptionValidationEvent is answered with its `validationResponse`. Throws HookPayloadError otherwise.
 */
export function parseAzurePayload(body: Buffer): HookMessage {
  const json = parseJsonBody(body);
  const list: unknown[] = Array.isArray(json) ? json : [json];
  const events: BucketEvent[] = [];
  let ignored = 0;
  for (const [i, value] of list.entries()) {
    const event = objectAt(value, `[${i}]`);
    const type = stringAt(event.eventType ?? event.type, `[${i}].eventType`);
    if (type === VALIDATION) {
      const data = objectAt(event.data, `[${i}].data`);
      return {
        type: "reply",
        body: { validationResponse: stringAt(data.validationCode, `[${i}].data.validationCode`) },
      };
    }
    const found = blobEvents(type, event, `[${i}]`);
    if (found.length === 0) ignored++;
    events.push(...found);
  }
  return { type: "events", events, ignored };
}

function blobEvents(type: string, event: JsonObject, at: string): BucketEvent[] {
  const created = type === "Microsoft.Storage.BlobCreated";
  const renamed = type === "Microsoft.Storage.BlobRenamed";
  if (!created && !renamed && type !== "Microsoft.Storage.BlobDeleted") return [];
  const subject = stringAt(event.subject, `${at}.subject`);
  const match = BLOB_SUBJECT.exec(subject);
  if (!match?.[1] || !match[2])
    throw new HookPayloadError(`${at}.subject is not a blob subject (${subject})`);
  const container = match[1];
  const data = isObject(event.data) ? event.data : {};
  const account = ACCOUNT.exec(optionalString(event.topic) ?? optionalString(event.source) ?? "")?.[1];
  const order = optionalString(data.sequencer);
  const common = { bucket: container, ...(account ? { account } : {}), ...(order ? { order } : {}) };
  // The subject is not encoded, and Event Grid has been seen to replace characters outside the BMP with U+FFFD
  // there; data.url (percent-encoded) keeps them.
  const url = optionalString(data.url);
  const key = match[2].includes("\uFFFD") && url ? keyFromUrl(url, container, `${at}.data.url`) : match[2];
  const events: BucketEvent[] = [{ ...common, change: { key, deleted: !created && !renamed } }];
  if (renamed) {
    const source = keyFromUrl(
      stringAt(data.sourceUrl, `${at}.data.sourceUrl`),
      container,
      `${at}.data.sourceUrl`,
    );
    events.unshift({ ...common, change: { key: source, deleted: true } });
  }
  return events;
}

// The blob URL's path after /<container>/ (an Azurite URL has the account before it), percent-decoded.
function keyFromUrl(url: string, container: string, field: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    throw new HookPayloadError(`${field} is not a URL`);
  }
  const marker = `/${container}/`;
  const at = path.indexOf(marker);
  if (at < 0) throw new HookPayloadError(`${field} is not in container ${container}`);
  try {
    return decodeURIComponent(path.slice(at + marker.length));
  } catch {
    throw new HookPayloadError(`${field} is not URL-encoded`);
  }
}
