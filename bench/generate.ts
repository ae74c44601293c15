/**
 * Writes a synthetic member export shaped like the real sample: UTF-8 with
 * BOM, `;`, CRLF, Norwegian headers, name columns that must never be sent,
 * organization numbers with spaces, `dd.mm.yyyy` dates.
 *
 * @module
 */

import { syntheticNationalIds } from "../src/identifiers/synthetic.ts";

const ORGANIZATIONS = ["948 554 062", "974 760 673"];
const FIRST = ["Kari", "Ola", "Ingrid", "Lars", "Sigrid", "Per", "Nora", "Åse"];
const LAST = ["Testesen", "Prøvesen", "Eksempel", "Fiktiv", "Syntetisk", "Ås"];

/** Write `count` members to `path`, in chunks, without holding the file. */
export async function writeMemberCsv(
  path: string,
  count: number,
  options: { dnrShare?: number } = {},
): Promise<void> {
  const file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const writer = file.writable.getWriter();
  const encoder = new TextEncoder();
  try {
    await writer.write(encoder.encode(
      "\uFEFFFødselsnummer;Fornavn;Etternavn;Organisasjonsnummer;Medlem fra;Medlem til\r\n",
    ));
    let lines: string[] = [];
    let i = 0;
    for (
      const id of syntheticNationalIds({ dnrShare: options.dnrShare ?? 0.1 })
    ) {
      if (i === count) break;
      lines.push(
        `${id};${FIRST[i % FIRST.length]};${LAST[i % LAST.length]};${
          ORGANIZATIONS[i % 2]
        };01.01.2026;31.12.2026\r\n`,
      );
      i++;
      if (lines.length === 10_000) {
        await writer.write(encoder.encode(lines.join("")));
        lines = [];
      }
    }
    await writer.write(encoder.encode(lines.join("")));
  } finally {
    await writer.close();
  }
}
