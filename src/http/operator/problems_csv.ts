/**
 * A run's problems as CSV that Norwegian Excel opens cleanly: UTF-8 with a
 * BOM (so "ø" is not read as Windows-1252), `;` as the delimiter (Excel's
 * list separator under a Norwegian locale, where `,` is the decimal comma)
 * and CRLF line ends (RFC 4180). Ids are masked before problems are stored
 * (src/state/runs.ts) and masked again here. A cell that starts with `=`,
 * `+`, `-` or `@` gets a leading `'` so Excel never runs it as a formula.
 *
 * @module
 */

import { maskIdsInText } from "../../identifiers/mask.ts";
import type { RunProblem } from "../../state/runs.ts";

const BOM = "\uFEFF";

/** One CSV cell: quoted when it holds `;`, `"` or a line break. */
export function csvCell(value: string | number | undefined): string {
  let text = value === undefined ? "" : maskIdsInText(String(value));
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[;"\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The CSV text: a header, then one line per problem (run start time, row,
 * masked id, code, reason).
 */
export function problemsCsv(
  problems: readonly RunProblem[],
  options: { header: readonly string[]; runStartedAt: string },
): string {
  const lines = [options.header.map(csvCell).join(";")];
  for (const problem of problems) {
    lines.push(
      [
        options.runStartedAt,
        problem.row,
        problem.value,
        problem.code,
        problem.reason,
      ].map(csvCell).join(";"),
    );
  }
  return BOM + lines.join("\r\n") + "\r\n";
}
