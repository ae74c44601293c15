import assert from "node:assert/strict";
import { createLogger } from "./log.ts";

Deno.test("createLogger() writes one JSON line per event, with context, masking ids", () => {
  const lines: string[] = [];
  const log = createLogger({
    sink: (line) => lines.push(line),
    now: () => new Date("2026-12-04T10:00:00Z"),
  }).with({ requestId: "r1" });
  log.debug("dropped below info");
  log.info("flush", { batch: 2, note: "member 23907640450 sent" });
  assert.equal(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0]), {
    level: "info",
    time: "2026-12-04T10:00:00.000Z",
    msg: "flush",
    requestId: "r1",
    batch: 2,
    note: "member 239076***** sent",
  });
});
