// Reconcile / suspend / resume buttons, and the token field shown once the server asks for a token (401/403).
import { useState } from "preact/hooks";
import { act, ApiError, setToken, token, type Action } from "./api.js";
import type { BucketView } from "./types.js";

export function Actions({ bucket }: { bucket: BucketView }): preact.JSX.Element {
  const [busy, setBusy] = useState<Action | undefined>();
  const [error, setError] = useState<string>("");
  const [needsToken, setNeedsToken] = useState(false);
  const run = async (action: Action): Promise<void> => {
    setBusy(action);
    setError("");
    try {
      await act(bucket, action);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) setNeedsToken(true);
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(undefined);
    }
  };
  const label = `${bucket.namespace}/${bucket.name}`;
  return (
    <div class="actions">
      <button
        type="button"
        disabled={busy !== undefined}
        onClick={() => void run("reconcile")}
        aria-label={`Reconcile ${label}`}
      >
        {busy === "reconcile" ? "Reconciling…" : "Reconcile"}
      </button>
      {bucket.suspended ? (
        <button
          type="button"
          disabled={busy !== undefined}
          onClick={() => void run("resume")}
          aria-label={`Resume ${label}`}
        >
          Resume
        </button>
      ) : (
        <button
          type="button"
          disabled={busy !== undefined}
          onClick={() => void run("suspend")}
          aria-label={`Suspend ${label}`}
        >
          Suspend
        </button>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {needsToken && <TokenField />}
    </div>
  );
}

/** The write token, kept in sessionStorage (this tab only). */
export function TokenField(): preact.JSX.Element {
  const [value, setValue] = useState(token());
  return (
    <form
      class="token"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value.trim());
      }}
    >
      <label>
        Write token
        <input
          type="password"
          autoComplete="off"
          value={value}
          onInput={(e) => {
            setValue(e.currentTarget.value);
          }}
        />
      </label>
      <button type="submit">Save</button>
    </form>
  );
}
