import assert from "node:assert/strict";
import { contentHash, fnv1a64 } from "./content_hash.ts";

Deno.test("fnv1a64() matches the published FNV-1a 64 test vectors", () => {
  assert.equal(fnv1a64(""), "cbf29ce484222325");
  assert.equal(fnv1a64("a"), "af63dc4c8601ec8c");
  assert.equal(fnv1a64("foobar"), "85944171f73967e8");
});

Deno.test("fnv1a64() agrees with a BigInt reference on long ASCII text", () => {
  const text = "urn:oid:2.16.578.1.12.4.1.4.1|23907640450|948554062|2024-01-01";
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  assert.equal(fnv1a64(text), h.toString(16).padStart(16, "0"));
});

Deno.test("contentHash() changes with every sent field and nothing else", () => {
  const member = {
    nationalId: "23907640450",
    idSystem: "urn:oid:2.16.578.1.12.4.1.4.1",
    organizationNumber: "948554062",
    start: "2024-01-01",
    end: "2025-12-31",
  };
  const base = contentHash(member);
  assert.match(base, /^[0-9a-f]{16}$/);
  assert.equal(contentHash({ ...member, row: 7 } as typeof member), base);
  for (const field of Object.keys(member) as (keyof typeof member)[]) {
    assert.notEqual(
      contentHash({ ...member, [field]: member[field] + "1" }),
      base,
      field,
    );
  }
});
