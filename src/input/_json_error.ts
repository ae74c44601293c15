/**
 * Where a JSON syntax error is. Private to src/input.
 *
 * V8's message quotes a piece of the text, which may be a national id, so
 * callers show only the line this returns, never the message.
 *
 * @module
 */

/** The 1-based line of a `JSON.parse` error in `text`, if it can be told. */
export function jsonErrorLine(
  error: unknown,
  text: string,
): number | undefined {
  const message = error instanceof Error ? error.message : "";
  const lineMatch = /\(line (\d+) column \d+\)/.exec(message);
  if (lineMatch) return Number(lineMatch[1]);
  const position = /at position (\d+)/.exec(message);
  if (!position) return undefined;
  const upTo = text.slice(0, Number(position[1]));
  return upTo.split("\n").length;
}
