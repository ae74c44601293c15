/**
 * Masking of national ids for logs, reports and error messages.
 *
 * A national id is personal data about health-service membership, so output
 * shows at most the six birth-date digits (DESIGN.md, data protection).
 *
 * @module
 */

/**
 * Mask a national id (or anything a user typed where one was expected) so it
 * can be shown: keep the first six characters of an 11-digit value and star
 * the rest; shorter or odd values keep less, so a stray short value is never
 * shown whole.
 *
 * @example
 * ```ts
 * maskNationalId("23907640450"); // "239076*****"
 * maskNationalId("12345");       // "12***"
 * ```
 */
export function maskNationalId(value: string): string {
  const text = value.trim();
  if (text.length === 0) return "";
  const keep = text.length >= 11 ? 6 : Math.min(6, Math.floor(text.length / 2));
  return text.slice(0, keep) + "*".repeat(Math.max(text.length - keep, 1));
}

/**
 * Mask every run of ten or more digits in free text, also when written with
 * single spaces, dots or hyphens between groups ("239076 40450",
 * "239-07640450"), such as a server's message that echoes the id it refused
 * or a national id typed into the wrong column. Ten digits are included: an
 * id whose leading zero a spreadsheet dropped is still an id.
 *
 * @example
 * ```ts
 * maskIdsInText("Patient 23907640450 not found"); // "Patient 239076***** not found"
 * maskIdsInText("org 948 554 062");               // unchanged: nine digits
 * ```
 */
export function maskIdsInText(text: string): string {
  // Most text (reasons, log lines) holds no ten digits at all.
  if (!hasTenDigits(text)) return text;
  // UUIDs (run ids, upload ids) hold digit runs joined by hyphens; they are
  // not national ids and must stay intact to be matched across logs.
  return text.split(UUID).map((part, i) =>
    i % 2 === 1 ? part : part.replace(
      /(?<!\d)\d(?:[ \u00a0.\-]?\d){9,}(?!\d)/g,
      (run) => maskNationalId(run.replace(/[^\d]/g, "")),
    )
  ).join("");
}

/** Whether `text` holds at least ten digits, anywhere. */
function hasTenDigits(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57 && ++digits === 10) return true;
  }
  return false;
}

/** A UUID, captured so `split` keeps it (at odd positions). */
const UUID =
  /([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/;
