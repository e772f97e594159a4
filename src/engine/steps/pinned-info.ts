// What a pinned artifact stands for: carried from the pinned scan to the status (status.pinned, Ready message).
import type { BucketStatus } from "../../api/status.js";

/** status.pinned: spec.asOf, the resolved time (the state's newest version), the object count, pinned keys. */
export type PinnedInfo = NonNullable<BucketStatus["pinned"]>;
