/**
 * `deno bench --allow-read --allow-write --unstable-kv src/state/store_bench.ts`
 *
 * @module
 */

import { contentHash } from "./content_hash.ts";
import { openStateStore } from "./store.ts";
import { testMember } from "./_test_members.ts";

const N = 10_000;
const BATCH = 200;
const members = Array.from({ length: N }, (_, i) => testMember(i));
const dir = await Deno.makeTempDir();
const store = await openStateStore({ path: `${dir}/state.sqlite` });
for (let i = 0; i < N; i += 1000) {
  const batch = members.slice(i, i + 1000);
  await store.recordOutcomes(batch.map((member) => ({
    member,
    hash: contentHash(member),
    outcome: "stored" as const,
  })));
}

Deno.bench("contentHash() x 10k", () => {
  for (const member of members) contentHash(member);
});

Deno.bench("planBatch(): 10k unchanged members, batches of 200", async () => {
  for (let i = 0; i < N; i += BATCH) {
    await store.planBatch(members.slice(i, i + BATCH));
  }
});

Deno.bench("planBatch() + seen marks: 10k unchanged members", async () => {
  const runId = crypto.randomUUID();
  for (let i = 0; i < N; i += BATCH) {
    await store.planBatch(members.slice(i, i + BATCH), { runId });
  }
});

Deno.bench("markPending + recordOutcomes: 10k members", async () => {
  for (let i = 0; i < N; i += BATCH) {
    const planned = await store.planBatch(members.slice(i, i + BATCH), {
      force: true,
    });
    const pending = await store.markPending(planned);
    await store.recordOutcomes(
      planned.map((p) => ({
        member: p.member,
        hash: p.hash,
        outcome: "not-consented" as const,
      })),
      { known: pending },
    );
  }
});

globalThis.addEventListener("unload", () => {
  store.close();
  Deno.removeSync(dir, { recursive: true });
});
