import assert from "node:assert/strict";
import { terminalSafe } from "./terminal.ts";

Deno.test("terminalSafe() escapes escape sequences and keeps line feeds, tabs and letters", () => {
  assert.equal(
    terminalSafe("Ås\t\x1b]0;PWNED\x07\r\n"),
    "Ås\t\\u{1b}]0;PWNED\\u{7}\\u{d}\n",
  );
});
