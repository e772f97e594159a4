// The work of `bucketops get buckets`, loaded only when the command runs (see commands/get.ts for its flags).
import type { BucketView } from "../../standalone/runner.js";
import type { GetBucketsFlags } from "../commands/get.js";
import { age, serialize, table } from "../output.js";
import { callServer } from "../server-client.js";

/** Prints the server's Buckets as a table, JSON or YAML. Throws CliError when the server cannot be reached. */
export async function getBucketsAction(flags: GetBucketsFlags): Promise<void> {
  const body = await callServer<{ items: BucketView[] }>(flags.server, "GET", "/api/buckets");
  const items = body.items.filter((b) => flags.namespace === undefined || b.namespace === flags.namespace);
  if (flags.output !== "table") {
    process.stdout.write(serialize(items, flags.output));
    return;
  }
  const rows = items.map((b) => {
    const ready = b.status.conditions.find((c) => c.type === "Ready");
    return [
      b.namespace,
      b.name,
      b.suspended ? "Suspended" : (ready?.status ?? "Unknown"),
      b.status.artifact?.revision.slice(0, 19) ?? "-",
      age(b.status.artifact?.lastUpdateTime),
      ready?.message ?? "",
    ];
  });
  process.stdout.write(table(["NAMESPACE", "NAME", "READY", "REVISION", "UPDATED", "STATUS"], rows));
}
