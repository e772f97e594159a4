// The live Bucket list: one EventSource on /api/events/stream; reconnects (with a growing delay) when it drops.
import { useEffect, useState } from "preact/hooks";
import { key } from "./format.js";
import type { BucketList, BucketView } from "./types.js";

export interface Live {
  list?: BucketList;
  connected: boolean;
}

/** Subscribes while mounted; the first `hello` event carries the whole list, later ones one Bucket each. */
export function useLiveBuckets(): Live {
  const [live, setLive] = useState<Live>({ connected: false });
  useEffect(() => {
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = 500;
    let closed = false;
    const connect = (): void => {
      source = new EventSource("/api/events/stream");
      const whole = (e: MessageEvent<string>): void => {
        delay = 500;
        setLive({ list: JSON.parse(e.data) as BucketList, connected: true });
      };
      source.addEventListener("hello", whole);
      source.addEventListener("folder", whole);
      source.addEventListener("bucket", (e: MessageEvent<string>) => {
        const view = JSON.parse(e.data) as BucketView;
        setLive((prev) => ({ ...prev, list: upsert(prev.list, view) }));
      });
      source.addEventListener("removed", (e: MessageEvent<string>) => {
        const gone = key(JSON.parse(e.data) as BucketView);
        setLive((prev) =>
          prev.list
            ? { ...prev, list: { ...prev.list, items: prev.list.items.filter((b) => key(b) !== gone) } }
            : prev,
        );
      });
      source.onerror = (): void => {
        setLive((prev) => ({ ...prev, connected: false }));
        source?.close(); // reconnect ourselves: the browser gives up on some errors (a 5xx, a restart)
        if (!closed) timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, 10_000);
      };
    };
    connect();
    return () => {
      closed = true;
      clearTimeout(timer);
      source?.close();
    };
  }, []);
  return live;
}

function upsert(list: BucketList | undefined, view: BucketView): BucketList {
  const items = list?.items ?? [];
  const i = items.findIndex((b) => key(b) === key(view));
  const next = i < 0 ? [...items, view] : items.map((b, j) => (j === i ? view : b));
  return { items: next, problems: list?.problems ?? [] };
}
