// What every reconcile step gets: the input, the dependencies, and the trail the failure path reads.
import type { Logger } from "pino";
import type { Artifact } from "../../api/status.js";
import type { BucketProvider } from "../../providers/types.js";
import type { ContentCache } from "../../source/content-cache.js";
import type { ObjectIndex } from "../../source/object-index.js";
import type { EngineDeps, EngineEvent, ReconcileInput, ReconcileStats } from "../types.js";

/**
 * One reconcile's context. Steps read `input` and `deps`, add to `stats` and `notices`, and record in `trail` what
 * the end of the reconcile needs whichever step fails (status is written once, there).
 */
export interface StepContext {
  readonly input: ReconcileInput;
  readonly deps: EngineDeps;
  readonly log: Logger;
  readonly now: () => Date;
  readonly stats: ReconcileStats;
  /** Warnings raised along the way (a damaged stored artifact), sent with the result. */
  readonly notices: EngineEvent[];
  readonly trail: Trail;
}

export interface Trail {
  /** Which condition an unclassified error belongs to. */
  stage: "source" | "storage";
  /** The stored artifact when it is intact (the one that keeps serving). */
  previous?: Artifact;
  /** A revision that differs from the stored artifact's (ArtifactOutdated on failure). */
  newRevision?: string;
  /** The index being published, for the self-healing of damaged cache entries. */
  scanned?: ObjectIndex;
  cache?: ContentCache;
  /** Closed at the end; its request counters go into stats. */
  provider?: BucketProvider;
}

/** A reconcile step: takes the previous step's result, returns its own or throws (classified by toReconcileError). */
export type Step<In, Out> = (ctx: StepContext, input: In) => Promise<Out>;
