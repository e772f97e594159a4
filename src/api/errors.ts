/** A Bucket document or spec that cannot be used as written; retrying will not help until it is edited. */
export class SpecError extends Error {
  override readonly name = "SpecError";
  /** Flux's reason string for this kind of spec problem (e.g. URLInvalid). */
  readonly reason: string;
  constructor(message: string, reason = "InvalidSpec") {
    super(message);
    this.reason = reason;
  }
}
