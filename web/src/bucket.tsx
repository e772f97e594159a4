// One Bucket: state, conditions, recent events, the artifact's files, revision history and a diff of two revisions.
import { useEffect, useState } from "preact/hooks";
import { Actions } from "./actions.js";
import { bucketPath, getJson } from "./api.js";
import { Revision } from "./copy.js";
import { DiffFiles } from "./diff.js";
import { bytes, relative, sourceUrl, stateOf } from "./format.js";
import type { BucketView, ChangePoint, EventItem, FileDiff, RevisionEntry } from "./types.js";

interface Loaded<T> {
  data?: T;
  error?: string;
}

/** Fetches `url` again whenever one of `deps` changes; an error answer is kept as text. */
function useJson<T>(url: string | undefined, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({});
  useEffect(() => {
    if (!url) return;
    let live = true;
    getJson<T>(url).then(
      (data) => {
        if (live) setState({ data });
      },
      (e: unknown) => {
        if (live) setState({ error: e instanceof Error ? e.message : String(e) });
      },
    );
    return () => {
      live = false;
    };
  }, [url, ...deps]);
  return state;
}

export function BucketPage({ bucket: b }: { bucket: BucketView }): preact.JSX.Element {
  const base = bucketPath(b);
  const revision = b.status.artifact?.revision;
  const files = useJson<{ files: { name: string; size: number }[]; total?: number }>(`${base}/files`, [
    revision,
  ]);
  const revisions = useJson<{ items: RevisionEntry[] }>(`${base}/revisions`, [revision]);
  const events = useJson<{ items: EventItem[] }>(`${base}/events`, [b.lastReconcile?.at]);
  // Only a versioned bucket has a history of its own (409 otherwise: the section is left out).
  const versions = useJson<{ items: ChangePoint[] }>(`${base}/history?limit=10`, [revision]);
  const state = stateOf(b);
  return (
    <article aria-labelledby="bucket-title">
      <p>
        <a href="#/">← All Buckets</a>
      </p>
      <h1 id="bucket-title">
        {b.namespace}/{b.name} <span class={`badge state-${state}`}>{state}</span>
      </h1>
      <p class="url">{sourceUrl(b)}</p>
      <dl class="facts">
        <dt>Revision</dt>
        <dd>
          <Revision revision={revision} />
        </dd>
        <dt>Artifact</dt>
        <dd>
          {b.status.artifact
            ? `${bytes(b.status.artifact.size)}, stored ${relative(b.status.artifact.lastUpdateTime)}`
            : "none yet"}
        </dd>
        <dt>Next reconcile</dt>
        <dd>{b.suspended ? "suspended" : relative(b.nextReconcileAt)}</dd>
        <dt>File</dt>
        <dd class="url">{b.file}</dd>
      </dl>
      <Actions bucket={b} />

      <h2>Conditions</h2>
      <table class="plain">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Since</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {b.status.conditions.map((c) => (
            <tr key={c.type}>
              <td data-label="Type">{c.type}</td>
              <td data-label="Status">{c.status}</td>
              <td data-label="Reason">{c.reason}</td>
              <td data-label="Since">
                <time dateTime={c.lastTransitionTime} title={c.lastTransitionTime}>
                  {relative(c.lastTransitionTime)}
                </time>
              </td>
              <td data-label="Message">
                <pre class="message">{c.message}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Recent events</h2>
      <Events bucket={b} loaded={events} />

      <h2>Files of the current artifact</h2>
      {files.data ? (
        <ul class="files" data-testid="files">
          {files.data.files.map((f) => (
            <li key={f.name}>
              <code>{f.name}</code> <span class="muted">{bytes(f.size)}</span>
            </li>
          ))}
        </ul>
      ) : (
        <Pending loaded={files} />
      )}
      {files.data?.total !== undefined && files.data.total > files.data.files.length && (
        <p class="muted">and {files.data.total - files.data.files.length} more</p>
      )}

      <h2>Revision history</h2>
      {revisions.data ? <History base={base} items={revisions.data.items} /> : <Pending loaded={revisions} />}

      {versions.data && versions.data.items.length > 0 && (
        <>
          <h2>Bucket versions (versioned bucket)</h2>
          <ol class="history" data-testid="versions">
            {versions.data.items.map((p) => (
              <li key={p.time}>
                <Revision revision={p.revision} />{" "}
                <time dateTime={p.time}>{new Date(p.time).toLocaleString()}</time>{" "}
                <span class="counts">
                  <span class="change-added">+{p.added}</span>{" "}
                  <span class="change-changed">~{p.changed}</span>{" "}
                  <span class="change-removed">−{p.removed}</span>
                </span>{" "}
                <span class="muted">{p.objects} objects</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </article>
  );
}

function Events({
  bucket: b,
  loaded,
}: {
  bucket: BucketView;
  loaded: Loaded<{ items: EventItem[] }>;
}): preact.JSX.Element {
  const items = loaded.data?.items;
  if (items && items.length > 0)
    return (
      <ul class="events">
        {[...items]
          .reverse()
          .slice(0, 20)
          .map((e, i) => (
            <li key={i}>
              <span class={e.type === "Warning" ? "state-failing" : ""}>{e.reason}</span>{" "}
              <span class="muted">{relative(e.at ?? e.time ?? e.lastTimestamp)}</span>
              <pre class="message">{e.message}</pre>
            </li>
          ))}
      </ul>
    );
  // No events route on this server: what the view holds is the last reconcile.
  const last = b.lastReconcile;
  return last ? (
    <p>
      Last reconcile {relative(last.at)}: {last.outcome}, {last.stats.objects} objects in{" "}
      {last.stats.durationMs} ms.
    </p>
  ) : (
    <p class="muted">No reconcile yet.</p>
  );
}

function History({ base, items }: { base: string; items: RevisionEntry[] }): preact.JSX.Element {
  const [from, setFrom] = useState(items[1]?.revision ?? "");
  const [to, setTo] = useState(items[0]?.revision ?? "");
  useEffect(() => {
    setFrom(items[1]?.revision ?? "");
    setTo(items[0]?.revision ?? "");
  }, [items[0]?.revision]);
  const diff = useJson<{ files: FileDiff[] }>(
    from && to && from !== to
      ? `${base}/revisions/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`
      : undefined,
    [],
  );
  if (items.length === 0) return <p class="muted">No revision published yet.</p>;
  const option = (e: RevisionEntry): preact.JSX.Element => (
    <option value={e.revision} key={e.revision}>
      {e.revision.slice(7, 19)} ({new Date(e.at).toLocaleString()})
    </option>
  );
  return (
    <>
      <ol class="history" data-testid="history">
        {items.map((e) => (
          <li key={e.revision}>
            <Revision revision={e.revision} /> <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>{" "}
            <span class="counts">
              <span class="change-added">+{e.added ?? "?"}</span>{" "}
              <span class="change-changed">~{e.changed ?? "?"}</span>{" "}
              <span class="change-removed">−{e.removed ?? "?"}</span>
            </span>{" "}
            <span class="muted">
              {e.files} files, {bytes(e.size)}
            </span>
          </li>
        ))}
      </ol>
      {items.length > 1 && (
        <>
          <h3>Diff</h3>
          <div class="diff-pick">
            <label>
              From
              <select
                value={from}
                onChange={(e) => {
                  setFrom(e.currentTarget.value);
                }}
              >
                {items.map(option)}
              </select>
            </label>
            <label>
              To
              <select
                value={to}
                onChange={(e) => {
                  setTo(e.currentTarget.value);
                }}
              >
                {items.map(option)}
              </select>
            </label>
          </div>
          {from === to ? (
            <p class="muted">Pick two different revisions.</p>
          ) : diff.data ? (
            <DiffFiles files={diff.data.files} />
          ) : (
            <Pending loaded={diff} />
          )}
        </>
      )}
    </>
  );
}

function Pending({ loaded }: { loaded: Loaded<unknown> }): preact.JSX.Element {
  return loaded.error ? (
    <p class="error">{loaded.error}</p>
  ) : (
    <p class="loading" role="status">
      Loading…
    </p>
  );
}
