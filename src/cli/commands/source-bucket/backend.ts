// What every flux-style verb asks of a runtime; one implementation per runtime, loaded only when a verb runs.
import type { BucketObjectJson } from "./objects.js";
import type { Runtime } from "./runtime.js";

/** One event of a Bucket, in the shape `events` prints. */
export interface BucketEvent {
  namespace: string;
  /** The Bucket's name. */
  name: string;
  type: string;
  reason: string;
  message: string;
  /** When it last happened (RFC 3339). */
  lastTimestamp?: string;
  count: number;
}

/** The reconcile a verb waited for: the object after it, and whether it ended Ready. */
export interface ReconcileOutcome {
  object: BucketObjectJson;
  ready: boolean;
  /** Ready's message (or the error), for printing. */
  message: string;
}

/** A runtime's Buckets. Every method throws CliError with a fitting exit code. */
export interface BucketBackend {
  /** "the cluster (context x)" or "the server at URL": for messages. */
  readonly where: string;
  /** Buckets of a namespace (undefined: all namespaces), sorted by namespace and name. */
  list(namespace: string | undefined): Promise<BucketObjectJson[]>;
  /** One Bucket; CliError (exit 1) when there is none. */
  get(namespace: string, name: string): Promise<BucketObjectJson>;
  /** Creates or updates a Bucket from `object` (a cluster only; a server says where to put the YAML). */
  apply(object: BucketObjectJson): Promise<BucketObjectJson>;
  /** Asks for a reconcile and waits for it (up to timeoutMs). */
  reconcile(namespace: string, name: string, timeoutMs: number): Promise<ReconcileOutcome>;
  /** Sets spec.suspend. */
  suspend(namespace: string, name: string): Promise<BucketObjectJson>;
  /** Clears spec.suspend, asks for a reconcile and waits for it. */
  resume(namespace: string, name: string, timeoutMs: number): Promise<ReconcileOutcome>;
  /** Throws unless the Bucket exists and can be deleted (a server's cannot: its Buckets are files). */
  checkDeletable(namespace: string, name: string): Promise<void>;
  /** Deletes a Bucket (a server refuses: its Buckets are files). */
  delete(namespace: string, name: string): Promise<void>;
  /** Events of one Bucket (name given) or of every Bucket of the namespace (undefined: all), oldest first. */
  events(namespace: string | undefined, name: string | undefined): Promise<BucketEvent[]>;
}

/** The backend of a runtime (the cluster's loads @kubernetes/client-node, so only when asked for). */
export async function openBackend(runtime: Runtime): Promise<BucketBackend> {
  if (runtime.kind === "server") {
    const { ServerBackend } = await import("./server-backend.js");
    return new ServerBackend(runtime.url, runtime.token);
  }
  const { openClusterBackend } = await import("./cluster-backend.js");
  return openClusterBackend(runtime);
}
