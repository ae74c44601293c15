import assert from "node:assert/strict";
import { loadSettings, SettingsError } from "./settings.ts";

Deno.test("the write-behind setting defaults to 50 000 and is read from the flag over the variable", () => {
  assert.equal(loadSettings({}, {}).stateWriteBehind, 50_000);
  const env = { MEDLEMSBRO_STATE_WRITE_BEHIND: "1000" };
  assert.equal(loadSettings({}, env).stateWriteBehind, 1000);
  assert.equal(
    loadSettings({ stateWriteBehind: "20" }, env).stateWriteBehind,
    20,
  );
});

Deno.test("a write-behind that would not fit the sync's heap, or is not a whole number, is refused by name", () => {
  for (const value of ["0", "100001", "1000000", "1e3", "-1", "abc"]) {
    assert.throws(
      () => loadSettings({ stateWriteBehind: value }, {}),
      (error) =>
        error instanceof SettingsError &&
        error.issues.length === 1 &&
        error.issues[0].startsWith(
          "--state-write-behind (MEDLEMSBRO_STATE_WRITE_BEHIND):",
        ),
      value,
    );
  }
});
