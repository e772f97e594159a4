// The dashboard's entry: hash routes (#/ the Buckets, #/b/<namespace>/<name> one Bucket) over the live list.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { BucketPage } from "./bucket.js";
import { BucketList } from "./list.js";
import { useLiveBuckets } from "./live.js";

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = (): void => {
      setHash(location.hash);
    };
    addEventListener("hashchange", on);
    return () => {
      removeEventListener("hashchange", on);
    };
  }, []);
  return hash;
}

/** Re-renders every few seconds so that "12s ago" and "in 4m" stay true between pushes (no request is made). */
function useTick(ms: number): void {
  const [, setNow] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now());
    }, ms);
    return () => {
      clearInterval(timer);
    };
  }, [ms]);
}

function App(): preact.JSX.Element {
  const live = useLiveBuckets();
  const hash = useHash();
  useTick(5000);
  const match = /^#\/b\/([^/]+)\/([^/]+)$/.exec(hash);
  let page: preact.JSX.Element;
  if (!live.list) {
    page = (
      <p class="loading" role="status">
        Loading…
      </p>
    );
  } else if (match) {
    const [ns, name] = [decodeURIComponent(match[1] ?? ""), decodeURIComponent(match[2] ?? "")];
    const bucket = live.list.items.find((b) => b.namespace === ns && b.name === name);
    page = bucket ? (
      <BucketPage bucket={bucket} />
    ) : (
      <p>
        No Bucket {ns}/{name}. <a href="#/">All Buckets</a>
      </p>
    );
  } else page = <BucketList list={live.list} />;
  return (
    <>
      <header>
        <a href="#/" class="brand">
          bucketops
        </a>
        <span class={live.connected ? "live on" : "live off"} role="status">
          {live.connected ? "live" : "reconnecting…"}
        </span>
      </header>
      <main>{page}</main>
    </>
  );
}

const root = document.getElementById("app");
if (root) {
  root.replaceChildren();
  render(<App />, root);
}
