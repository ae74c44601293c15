/**
 * Shared by the input tests: fixture paths and byte streams.
 *
 * @module
 */

import { streamOf } from "./_stream.ts";

/** Absolute path of a file under the repository's fixtures/ folder. */
export function fixture(name: string): string {
  return `${import.meta.dirname}/../../fixtures/${name}`;
}

/** A byte stream of `text` as UTF-8, cut into `chunkSize` pieces. */
export function textStream(
  text: string,
  chunkSize = 7,
): ReadableStream<Uint8Array> {
  return bytesStream(new TextEncoder().encode(text), chunkSize);
}

/** A byte stream of `bytes`, cut into `chunkSize` pieces. */
export function bytesStream(
  bytes: Uint8Array,
  chunkSize = 7,
): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) {
    chunks.push(bytes.slice(i, i + chunkSize));
  }
  return streamOf(...chunks);
}

/** Collect an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Read a byte stream to a string. */
export function streamText(
  stream: ReadableStream<Uint8Array>,
): Promise<string> {
  return new Response(stream).text();
}
