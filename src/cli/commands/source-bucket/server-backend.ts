// The flux-style verbs against a standalone server (`bucketops run`): its JSON API.
import path from "node:path";
import type { ReconcileResult } from "../../../engine/reconcile.js";
import type { RecordedEvent } from "../../../standalone/event-ring.js";
import type { BucketView } from "../../../standalone/runner.js";
import { CliError, ExitCode } from "../../exit-codes.js";
import { callServer, ServerError } from "../../server-client.js";
import type { BucketBackend, BucketEvent, ReconcileOutcome } from "./backend.js";
import { readyCondition, viewToObject, type BucketObjectJson } from "./objects.js";

type ReconcileAnswer = Pick<ReconcileResult, "outcome" | "status"> & {
  error?: { reason: string; message: string };
};

/** A standalone server's Buckets, through GET/POST /api/buckets…. */
export class ServerBackend implements BucketBackend {
  readonly where: string;
  private readonly url: string;
  private readonly token: string | undefined;

  constructor(url: string, token?: string) {
    this.url = url;
    this.token = token;
    this.where = `the server at ${url}`;
  }

  async list(namespace: string | undefined): Promise<BucketObjectJson[]> {
    const body = await this.call<{ items: BucketView[] }>("GET", "/api/buckets");
    return body.items.filter((b) => namespace === undefined || b.namespace === namespace).map(viewToObject);
  }

  async get(namespace: string, name: string): Promise<BucketObjectJson> {
    return viewToObject(await this.view(namespace, name));
  }

  apply(object: BucketObjectJson): Promise<BucketObjectJson> {
    return Promise.reject(
      new CliError(
        `a standalone server reads its Buckets from its config folder: save the YAML there (bucketops create source bucket ${object.metadata.name} … --export > <config folder>/${object.metadata.name}.yaml)`,
        ExitCode.Failed,
      ),
    );
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileOutcome> {
    const answer = await this.call<ReconcileAnswer>("POST", `${bucketPath(namespace, name)}/reconcile`);
    return this.outcome(namespace, name, answer);
  }

  async suspend(namespace: string, name: string): Promise<BucketObjectJson> {
    const answer = await this.call<{ bucket: BucketView }>("POST", `${bucketPath(namespace, name)}/suspend`);
    return viewToObject(answer.bucket);
  }

  async resume(namespace: string, name: string): Promise<ReconcileOutcome> {
    const answer = await this.call<ReconcileAnswer>("POST", `${bucketPath(namespace, name)}/resume`);
    return this.outcome(namespace, name, answer);
  }

  delete(namespace: string, name: string): Promise<void> {
    return this.checkDeletable(namespace, name);
  }

  async checkDeletable(namespace: string, name: string): Promise<void> {
    const view = await this.view(namespace, name);
    throw new CliError(
      `Bucket ${namespace}/${name} is defined in ${view.file} (${path.basename(view.file)} in the server's config folder): a standalone server cannot delete it; remove it from that file (the server then deletes its artifacts), or stop it with 'bucketops suspend source bucket ${name} -n ${namespace}'`,
      ExitCode.Failed,
    );
  }

  async events(namespace: string | undefined, name: string | undefined): Promise<BucketEvent[]> {
    const refs =
      name !== undefined && namespace !== undefined
        ? [{ namespace, name }]
        : (await this.list(namespace)).map((o) => o.metadata);
    const all: BucketEvent[] = [];
    for (const ref of refs) {
      const body = await this.call<{ items: RecordedEvent[] }>(
        "GET",
        `${bucketPath(ref.namespace, ref.name)}/events`,
      );
      for (const e of body.items)
        all.push({
          namespace: ref.namespace,
          name: ref.name,
          type: e.type,
          reason: e.reason,
          message: e.message,
          lastTimestamp: e.lastTimestamp,
          count: e.count,
        });
    }
    return all.sort((a, b) => (a.lastTimestamp ?? "").localeCompare(b.lastTimestamp ?? ""));
  }

  private async outcome(namespace: string, name: string, answer: ReconcileAnswer): Promise<ReconcileOutcome> {
    const object = await this.get(namespace, name);
    const ready = readyCondition(object);
    if (answer.error)
      return { object, ready: false, message: `${answer.error.reason}: ${answer.error.message}` };
    if (answer.outcome === "suspended")
      return { object, ready: false, message: `Bucket ${namespace}/${name} is suspended` };
    return { object, ready: ready?.status === "True", message: ready?.message ?? "" };
  }

  private async view(namespace: string, name: string): Promise<BucketView> {
    try {
      return await this.call<BucketView>("GET", bucketPath(namespace, name));
    } catch (error) {
      if (error instanceof ServerError && error.status === 404)
        throw new CliError(`Bucket ${namespace}/${name} not found on ${this.where}`, ExitCode.Failed);
      throw error;
    }
  }

  private call<T>(method: "GET" | "POST" | "DELETE", route: string): Promise<T> {
    return callServer<T>(this.url, method, route, undefined, this.token);
  }
}

function bucketPath(namespace: string, name: string): string {
  return `/api/buckets/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}
