// What a bucket event says about one object: the event-driven reconcile applies it to the last published index.

/** One object named by a bucket event (S3/MinIO notification, GCS Pub/Sub, Azure Event Grid). */
export interface ObjectChange {
  /** The object key as the bucket spells it (URL-decoded from the event). */
  key: string;
  /** True for a deletion event; false for a create/overwrite (the reconcile asks the bucket for the etag). */
  deleted: boolean;
}
