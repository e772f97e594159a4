// The body of an upload: a Buffer, or a stream factory a retry calls again; either must hold exactly `size` bytes.
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { ProviderError } from "./types.js";

/** What BucketWriter.put takes as a body. */
export type PutBody = Buffer | (() => Readable);

/** One attempt's body, and why it failed (if it did), which wins over however the client reports it. */
export interface SizedBody {
  body: Buffer | Readable;
  /**
   * Once the stream has failed: an Invalid ProviderError when it yielded more or fewer than `size` bytes, or the
   * caller's own stream error as it was raised.
   */
  failure(): Error | undefined;
  /**
   * Ends the stream and the caller's source (closing its file, say) if the attempt did not read it to the end:
   * a server may answer (412, 403) before it has read the body.
   */
  dispose(): void;
}

/**
 * Opens one attempt's body: a Buffer is checked at once (Invalid unless `size` bytes), a factory is called and its
 * stream counted, failing with Invalid as soon as it passes `size` bytes or when it ends short of them (so a client
 * never sends a body that does not match its Content-Length). `onFailure` runs when the stream fails, so the
 * request that reads it can be aborted (an HTTP client piping a body may not notice, and would wait for the bytes
 * announced).
 */
export function sizedBody(
  body: PutBody,
  size: number,
  what: string,
  onFailure?: (error: Error) => void,
): SizedBody {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new ProviderError("Invalid", `${what}: size ${size} is not a byte count`);
  if (Buffer.isBuffer(body)) {
    if (body.length !== size)
      throw new ProviderError(
        "Invalid",
        `${what}: the body is ${body.length} bytes, not the ${size} announced`,
      );
    return { body, failure: () => undefined, dispose: () => undefined };
  }
  let failure: Error | undefined;
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback): void {
      seen += chunk.length;
      if (seen > size)
        callback(
          new ProviderError("Invalid", `${what}: the body is longer than the ${size} bytes announced`),
        );
      else callback(null, chunk);
    },
    flush(callback: TransformCallback): void {
      if (seen < size)
        callback(new ProviderError("Invalid", `${what}: the body ended after ${seen} of ${size} bytes`));
      else callback();
    },
  });
  // Always listened to: an unheard 'error' event would crash the process.
  counter.on("error", (error) => {
    failure ??= error;
    onFailure?.(error);
  });
  const source = body();
  source.on("error", (error) => counter.destroy(error));
  counter.on("close", () => {
    if (!source.readableEnded) source.destroy();
  });
  source.pipe(counter);
  return {
    body: counter,
    failure: () => failure,
    dispose: (): void => {
      counter.destroy();
      if (!source.readableEnded) source.destroy(); // now, not on counter's (later) 'close'
    },
  };
}

/** An AbortSignal for one attempt: aborted by `outer`, or by the attempt itself (see sizedBody's onFailure). */
export function attemptSignal(outer: AbortSignal | undefined): { signal: AbortSignal; abort: () => void } {
  const own = new AbortController();
  const signal = outer ? AbortSignal.any([outer, own.signal]) : own.signal;
  return {
    signal,
    abort: (): void => {
      own.abort(new Error("the request body failed"));
    },
  };
}
