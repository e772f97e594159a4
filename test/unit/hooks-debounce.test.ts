// Per-Bucket debounce and the change set: one wake per window with the merged, de-duplicated changes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ChangeSet, MAX_CHANGES } from "../../src/hooks/change-set.js";
import { WakeDebouncer } from "../../src/hooks/debounce.js";
import type { ObjectChange } from "../../src/source/object-change.js";

const changed = (key: string, order?: string): { change: ObjectChange; order?: string } =>
  order === undefined ? { change: { key, deleted: false } } : { change: { key, deleted: false }, order };
const deleted = (key: string, order?: string): { change: ObjectChange; order?: string } =>
  order === undefined ? { change: { key, deleted: true } } : { change: { key, deleted: true }, order };

test("10 events in 50 ms for one Bucket wake it once, at the end of the 200 ms window, with every key once", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const wakes: { ref: string; changes: ObjectChange[] | undefined }[] = [];
  const debouncer = new WakeDebouncer(200, (ref, changes) =>
    wakes.push({ ref: `${ref.namespace}/${ref.name}`, changes }),
  );
  for (let i = 0; i < 10; i++) {
    debouncer.add({ namespace: "ns", name: "b" }, [changed(`k${i % 5}`)]);
    t.mock.timers.tick(5);
  }
  debouncer.add({ namespace: "ns", name: "other" }, [changed("x")]);
  assert.equal(wakes.length, 0, "nothing before the window ends");
  t.mock.timers.tick(150);
  assert.deepEqual(
    wakes.map((w) => w.ref),
    ["ns/b"],
  );
  assert.deepEqual(wakes[0]?.changes?.map((c) => c.key).sort(), ["k0", "k1", "k2", "k3", "k4"]);
  t.mock.timers.tick(50);
  assert.deepEqual(
    wakes.map((w) => w.ref),
    ["ns/b", "ns/other"],
  );
  debouncer.add({ namespace: "ns", name: "b" }, [changed("later")]);
  t.mock.timers.tick(200);
  assert.deepEqual(
    wakes[2]?.changes,
    [{ key: "later", deleted: false }],
    "a new window after the first closed",
  );
});

test("a full request in the window wakes with undefined changes (a full listing); close() drops pending windows", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const wakes: (ObjectChange[] | undefined)[] = [];
  const debouncer = new WakeDebouncer(100, (_ref, changes) => wakes.push(changes));
  debouncer.add({ namespace: "ns", name: "b" }, [changed("a")]);
  debouncer.add({ namespace: "ns", name: "b" }, undefined);
  debouncer.add({ namespace: "ns", name: "b" }, [changed("c")]);
  t.mock.timers.tick(100);
  assert.deepEqual(wakes, [undefined]);
  debouncer.add({ namespace: "ns", name: "b" }, [changed("d")]);
  debouncer.close();
  t.mock.timers.tick(1000);
  assert.equal(wakes.length, 1);
});

test("of two events for one key the later wins: by sequence when both carry one, else by arrival", () => {
  const set = new ChangeSet();
  set.add([changed("seq", "0B"), deleted("seq", "0A")]); // the delete is older: ignored
  set.add([changed("gen", "9"), deleted("gen", "10")]); // decimal generations: 10 is after 9
  set.add([deleted("plain"), changed("plain")]);
  assert.deepEqual(set.take(), [
    { key: "seq", deleted: false },
    { key: "gen", deleted: true },
    { key: "plain", deleted: false },
  ]);
  assert.equal(set.take(), undefined, "take() empties the set; an empty set means a full listing");
});

test(`more than ${MAX_CHANGES} keys turn into a full listing, as does markFull`, () => {
  const set = new ChangeSet();
  set.add(Array.from({ length: MAX_CHANGES }, (_, i) => changed(`k${i}`)));
  assert.equal(set.isEmpty, false);
  set.add([changed("one-more")]);
  assert.equal(set.take(), undefined);
  set.add([changed("a")]);
  set.markFull();
  set.add([changed("b")]);
  assert.equal(set.take(), undefined);
});
