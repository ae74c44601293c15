/**
 * Column names: which header (CSV) or key (JSON) holds which member field.
 *
 * Names are compared after {@linkcode normalizeHeader}: case, diacritics,
 * spaces and punctuation do not matter, so "Fødselsnummer", "fodselsnummer"
 * and "FØDSELS-NUMMER" are one name, and "Medlem fra" matches "medlem_fra".
 * The full table is in docs/input-formats.md.
 *
 * @module
 */

import { maskNationalId } from "../identifiers/mask.ts";
import { InputError } from "./problem.ts";

/** The member fields an export must provide. */
export type MemberField = "nationalId" | "organizationNumber" | "start" | "end";

/** Every member field, in the order they are reported. */
export const MEMBER_FIELDS: readonly MemberField[] = [
  "nationalId",
  "organizationNumber",
  "start",
  "end",
];

/** Extra or replacement names per field. */
export type HeaderAliases = Partial<Record<MemberField, readonly string[]>>;

/** The built-in names, Norwegian and English, per field. */
export const DEFAULT_HEADER_ALIASES: Readonly<
  Record<MemberField, readonly string[]>
> = {
  nationalId: [
    "Fødselsnummer",
    "Fødselsnr",
    "Fnr",
    "Personnummer",
    "Personnr",
    "D-nummer",
    "Dnr",
    "Fødselsnummer/D-nummer",
    "Fnr/Dnr",
    "Identitetsnummer",
    "National id",
    "National identity number",
    "National identification number",
  ],
  organizationNumber: [
    "Organisasjonsnummer",
    "Organisasjonsnr",
    "Orgnr",
    "Org.nr",
    "Org nr",
    "Organization number",
    "Organisation number",
    "Org number",
  ],
  start: [
    "Medlem fra",
    "Medlemskap fra",
    "Startdato",
    "Fra dato",
    "Gyldig fra",
    "Fra",
    "Start",
    "Start date",
    "Membership start",
    "Member since",
    "Valid from",
  ],
  end: [
    "Medlem til",
    "Medlemskap til",
    "Sluttdato",
    "Til dato",
    "Gyldig til",
    "Til",
    "End",
    "End date",
    "Membership end",
    "Valid to",
    "Valid until",
  ],
};

/**
 * Fold a column name for comparison: lower case, diacritics removed
 * (ø → o, æ → ae, å → a), and only letters and digits kept.
 *
 * @example
 * ```ts
 * normalizeHeader(" Fødselsnummer "); // "fodselsnummer"
 * normalizeHeader("Org.nr");          // "orgnr"
 * ```
 */
export function normalizeHeader(name: string): string {
  return name
    .toLowerCase()
    .replaceAll("ø", "o")
    .replaceAll("æ", "ae")
    .replaceAll("ß", "ss")
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^\p{L}\p{N}]/gu, "");
}

/** Where each field was found: its column index and the name the file used. */
export type ColumnMap = Partial<
  Record<MemberField, { index: number; column: string }>
>;

/** Options for {@linkcode resolveColumns}. */
export interface ResolveColumnsOptions {
  /** The file, for error messages. */
  source: string;
  /** The header's line number, for error messages. @default 1 */
  line?: number;
  /** Names added per field; they take precedence over the built-in ones. */
  headerAliases?: HeaderAliases;
  /**
   * Fields that may be absent. The end date can be, when the caller supplies
   * a default end.
   * @default []
   */
  optional?: readonly MemberField[];
}

/**
 * Find the member fields in a header row. A field matched by a caller's alias
 * wins over the built-in names; two columns matching the same field at the
 * same precedence is an error ("ambiguous-column"), as is a required field
 * not found ("missing-column", naming the field, the names tried and the
 * header found).
 */
export function resolveColumns(
  header: readonly string[],
  options: ResolveColumnsOptions,
): ColumnMap {
  const { source, line = 1, headerAliases = {}, optional = [] } = options;
  const folded = header.map(normalizeHeader);
  const map: ColumnMap = {};
  const missing: string[] = [];
  const missingFields: MemberField[] = [];

  for (const field of MEMBER_FIELDS) {
    const custom = headerAliases[field] ?? [];
    const found = findColumn(folded, custom) ??
      findColumn(folded, DEFAULT_HEADER_ALIASES[field]);

    if (found && found.length > 1) {
      const names = found.map((i) => `"${safeHeaderName(header[i])}"`)
        .join(" and ");
      throw new InputError(
        "ambiguous-column",
        `${source}: columns ${names} both look like ${field}; name the right one with the headerAliases option`,
        { source, line },
      );
    }
    if (found) {
      map[field] = { index: found[0], column: header[found[0]] };
    } else if (!optional.includes(field)) {
      missingFields.push(field);
      const tried = [...custom, ...DEFAULT_HEADER_ALIASES[field]];
      missing.push(
        `${field} (tried ${tried.map((n) => `"${n}"`).join(", ")})`,
      );
    }
  }

  if (missing.length > 0) {
    throw new MissingColumnError(
      `${source}: no column for ${
        missing.join("; ")
      }. Header found on line ${line}: ${
        header.map((h) => `"${safeHeaderName(h)}"`).join(", ")
      }`,
      {
        source,
        line,
        fields: missingFields,
        header: header.map(safeHeaderName),
      },
    );
  }
  return map;
}

/** The indexes of columns matching any of `aliases`, or undefined for none. */
function findColumn(
  folded: readonly string[],
  aliases: readonly string[],
): number[] | undefined {
  const wanted = new Set(aliases.map(normalizeHeader));
  const hits: number[] = [];
  folded.forEach((name, index) => {
    if (name !== "" && wanted.has(name)) hits.push(index);
  });
  return hits.length > 0 ? hits : undefined;
}

/**
 * A required column is missing from the header (code "missing-column").
 * `header` is the header as found, with anything that looks like an id masked.
 */
export class MissingColumnError extends InputError {
  override name = "MissingColumnError";
  readonly fields: MemberField[];
  readonly header: string[];

  constructor(
    message: string,
    options: {
      source: string;
      line: number;
      fields: MemberField[];
      header: string[];
    },
  ) {
    super("missing-column", message, options);
    this.fields = options.fields;
    this.header = options.header;
  }
}

/**
 * A header cell safe to show. A file without a header row has a member's
 * national id where the header should be, so long digit runs are masked.
 */
export function safeHeaderName(name: string): string {
  return /\d{6,}/.test(name) ? maskNationalId(name) : name;
}
