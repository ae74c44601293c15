/**
 * Small byte-stream helpers shared by the readers. Private to src/input.
 *
 * @module
 */

/** The bytes read ahead, and a stream that replays them before the rest. */
export interface Peeked {
  head: Uint8Array;
  /** True when `head` holds the whole input. */
  done: boolean;
  stream: ReadableStream<Uint8Array>;
}

/**
 * Read ahead until `enough(head)` says so, `maxBytes` are held, or the input
 * ends; then hand back what was read and a stream that yields it again,
 * followed by the unread rest. Only the head is held in memory.
 */
export async function peek(
  input: ReadableStream<Uint8Array>,
  enough: (head: Uint8Array) => boolean,
  maxBytes: number,
): Promise<Peeked> {
  const reader = input.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  let head: Uint8Array = new Uint8Array(0);

  while (size < maxBytes) {
    const next = await reader.read();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.length;
    head = concat(chunks);
    if (enough(head)) break;
  }
  head = concat(chunks);

  let replayed = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!replayed) {
        replayed = true;
        if (head.length > 0) controller.enqueue(head);
        if (done) controller.close();
        return;
      }
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { head, done, stream };
}

/** Join byte chunks into one array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const total = chunks.reduce((sum, c) => sum + c.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** A stream of one byte array; handy for tests and in-memory input. */
export function streamOf(
  ...chunks: Uint8Array[]
): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}
