// The recent events of one Bucket, kept in memory by the standalone runner (the cluster keeps core/v1 Events).
import type { EngineEvent } from "../engine/types.js";

/** One event as the API shows it: repeats of the same event are counted, like Kubernetes Events. */
export interface RecordedEvent {
  type: EngineEvent["type"];
  reason: string;
  message: string;
  /** When it first happened (RFC 3339). */
  firstTimestamp: string;
  /** When it last happened (RFC 3339). */
  lastTimestamp: string;
  count: number;
}

/** A bounded list of events, oldest dropped first; an event equal to the newest one only bumps its count. */
export class EventRing {
  private readonly items: RecordedEvent[] = [];
  private readonly size: number;
  constructor(size = 50) {
    this.size = Math.max(1, size);
  }

  /** Records `event` as happening at `at`. */
  add(event: Pick<EngineEvent, "type" | "reason" | "message">, at: Date = new Date()): void {
    const when = at.toISOString();
    const last = this.items.at(-1);
    if (last && last.type === event.type && last.reason === event.reason && last.message === event.message) {
      last.count += 1;
      last.lastTimestamp = when;
      return;
    }
    this.items.push({
      type: event.type,
      reason: event.reason,
      message: event.message,
      firstTimestamp: when,
      lastTimestamp: when,
      count: 1,
    });
    if (this.items.length > this.size) this.items.shift();
  }

  /** The events, oldest first (copies). */
  list(): RecordedEvent[] {
    return this.items.map((e) => ({ ...e }));
  }
}
