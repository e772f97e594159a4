// The Buckets page: failing rows first, a summary count, a filter box, one row (a card on a phone) per Bucket.
import { useState } from "preact/hooks";
import { Actions } from "./actions.js";
import { Revision } from "./copy.js";
import { bytes, key, ready, relative, sortBuckets, sourceUrl, stateOf, type State } from "./format.js";
import type { BucketList as List, BucketView } from "./types.js";

const LABEL: Record<State, string> = {
  ready: "Ready",
  failing: "Failing",
  suspended: "Suspended",
  reconciling: "Reconciling",
  unknown: "Unknown",
};

export function BucketList({ list }: { list: List }): preact.JSX.Element {
  const [filter, setFilter] = useState("");
  const needle = filter.trim().toLowerCase();
  const shown = sortBuckets(list.items).filter(
    (b) => !needle || `${key(b)} ${sourceUrl(b)} ${ready(b)?.reason ?? ""}`.toLowerCase().includes(needle),
  );
  const counts = countStates(list.items);
  return (
    <section aria-labelledby="buckets-title">
      <h1 id="buckets-title">Buckets</h1>
      <p class="summary" data-testid="summary">
        {list.items.length} Buckets: <span class="state-failing">{counts.failing} failing</span>,{" "}
        <span class="state-ready">{counts.ready} ready</span>,{" "}
        <span class="state-suspended">{counts.suspended} suspended</span>
        {counts.other > 0 && `, ${counts.other} pending`}
      </p>
      {list.problems.map((p) => (
        <p class="error" key={p.file}>
          {p.file}: {p.message}
        </p>
      ))}
      <label class="filter">
        Filter
        <input
          type="search"
          value={filter}
          onInput={(e) => {
            setFilter(e.currentTarget.value);
          }}
          placeholder="name, namespace, URL, reason"
        />
      </label>
      <table class="buckets">
        <thead>
          <tr>
            <th scope="col">Bucket</th>
            <th scope="col">Ready</th>
            <th scope="col">Failing since</th>
            <th scope="col">Next reconcile</th>
            <th scope="col">Revision</th>
            <th scope="col">Artifact</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((b) => (
            <Row bucket={b} key={key(b)} />
          ))}
        </tbody>
      </table>
      {shown.length === 0 && (
        <p class="muted">
          {list.items.length ? "No Bucket matches the filter." : "No Buckets in the folder."}
        </p>
      )}
    </section>
  );
}

function Row({ bucket: b }: { bucket: BucketView }): preact.JSX.Element {
  const state = stateOf(b);
  const r = ready(b);
  const a = b.status.artifact;
  const objects =
    b.lastReconcile && b.lastReconcile.outcome !== "failed" ? b.lastReconcile.stats.objects : undefined;
  return (
    <tr class={`row-${state}`} data-bucket={key(b)}>
      <td data-label="Bucket">
        <a href={`#/b/${encodeURIComponent(b.namespace)}/${encodeURIComponent(b.name)}`} class="name">
          {b.name}
        </a>
        <div class="muted">{b.namespace}</div>
        <div class="url">{sourceUrl(b)}</div>
      </td>
      <td data-label="Ready">
        <span class={`badge state-${state}`} data-testid="state">
          {LABEL[state]}
        </span>
        {r && <div class="reason">{r.reason}</div>}
        {r?.message && <pre class="message">{r.message}</pre>}
      </td>
      <td data-label="Failing since" data-testid="failing-since">
        {r?.status === "False" ? (
          <time dateTime={r.lastTransitionTime} title={r.lastTransitionTime}>
            {relative(r.lastTransitionTime)}
          </time>
        ) : (
          "—"
        )}
      </td>
      <td data-label="Next reconcile">
        {b.suspended ? (
          "suspended"
        ) : b.nextReconcileAt ? (
          <time dateTime={b.nextReconcileAt}>{relative(b.nextReconcileAt)}</time>
        ) : (
          "—"
        )}
      </td>
      <td data-label="Revision" data-testid="revision">
        <Revision revision={a?.revision} />
      </td>
      <td data-label="Artifact">
        {a ? (
          <>
            <a href={`/${a.path}`}>{bytes(a.size)}</a>
            {objects !== undefined && (
              <div class="muted">{objects === 1 ? "1 object" : `${objects} objects`}</div>
            )}
            <div class="muted">
              <time dateTime={a.lastUpdateTime} title={a.lastUpdateTime}>
                {relative(a.lastUpdateTime)}
              </time>
            </div>
          </>
        ) : (
          "—"
        )}
      </td>
      <td data-label="Actions">
        <Actions bucket={b} />
      </td>
    </tr>
  );
}

function countStates(items: readonly BucketView[]): {
  failing: number;
  ready: number;
  suspended: number;
  other: number;
} {
  const c = { failing: 0, ready: 0, suspended: 0, other: 0 };
  for (const b of items) {
    const s = stateOf(b);
    if (s === "failing" || s === "ready" || s === "suspended") c[s]++;
    else c.other++;
  }
  return c;
}
