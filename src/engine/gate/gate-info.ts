// What the gate step found, carried to the digest check and the publish step; and where the index folder is.
import type { BucketSpec } from "../../api/normalize.js";
import { prefixFolder, type IndexObject } from "../../publish/index-object.js";
import type { GateState } from "./gate-state.js";

/** The index folder under a prefix's folder: never part of an artifact. */
export const CONTROL_FOLDER = ".bucketops/";

/** What the gate found, carried to the digest check and the publish step. */
export interface GateInfo {
  /** The state file and what it holds; saved when the state is published. */
  stateFile: string;
  state: GateState;
  /** The index the published state matched, when one was used. */
  index?: { key: string; etag: string; object: IndexObject; folder: string };
  /** The keyId of the valid signature (spec.verify). */
  keyId?: string;
}

/** The scan's control folder for a spec: `<prefix folder>.bucketops/`. */
export function controlFolder(spec: BucketSpec): string {
  return `${prefixFolder(spec.prefix)}${CONTROL_FOLDER}`;
}
