/**
 * The offerings (helsetilbud) file: read, check against a schema, normalize.
 *
 * Offerings go to Helsenorge as one FHIR transaction, which stands or falls
 * as a whole, so this file is all-or-nothing too: every problem is collected
 * and thrown at once as an {@linkcode OfferingsError}, each with a JSON path
 * like `organizations[1].services[0].name`. Offerings hold no personal data,
 * so values may appear in messages.
 *
 * Normalization: organization numbers lose their spaces (and must pass the
 * mod-11 check); service ids lose a `urn:uuid:` prefix and are lower-cased;
 * numbers given as JSON numbers become strings; `active` defaults to true;
 * `telecom` defaults to an empty list. Unknown keys are refused, so a typo
 * such as `"coment"` is caught rather than dropped. Schema in
 * docs/input-formats.md.
 *
 * @module
 */

import { z } from "zod";
import { parseOrganizationNumber } from "../identifiers/organization_number.ts";
import type { Offerings } from "./offering.ts";
import { InputError } from "./problem.ts";
import { jsonErrorLine } from "./_json_error.ts";

/** One problem in an offerings file. */
export interface OfferingIssue {
  /** Where, e.g. `organizations[1].services[0].name`; empty for the whole file. */
  path: string;
  message: string;
}

/** An offerings file that cannot be used; `issues` lists every problem. */
export class OfferingsError extends InputError {
  override name = "OfferingsError";
  readonly issues: OfferingIssue[];

  constructor(source: string, issues: OfferingIssue[]) {
    const list = issues.map((i) => `  ${i.path || "(file)"}: ${i.message}`)
      .join("\n");
    super(
      "invalid-offerings",
      `${source}: ${issues.length} problem${
        issues.length === 1 ? "" : "s"
      } in the offerings file:\n${list}`,
      { source },
    );
    this.issues = issues;
  }
}

const GUID =
  /^(?:urn:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const text = (what: string) =>
  z.string({ error: `${what} must be a string` }).trim().min(1, {
    error: `${what} must not be empty`,
  });

/** Digits, given as a string or a JSON number. */
const digits = (what: string) =>
  z.union([z.string(), z.number().int().nonnegative()], {
    error: `${what} must be a string of digits`,
  })
    .transform((v) => String(v).trim())
    .refine((v) => /^\d+$/.test(v), { error: `${what} must be digits only` });

const organizationNumber = z.union([z.string(), z.number().int()], {
  error: "organization number must be a string",
}).transform((value, ctx) => {
  const parsed = parseOrganizationNumber(String(value));
  if (!parsed.ok) {
    ctx.issues.push({
      code: "custom",
      message: `${parsed.reason} ("${value}")`,
      input: value,
    });
    return z.NEVER;
  }
  return parsed.value;
});

const service = z.strictObject({
  id: z.string({ error: "id must be a string" }).trim().transform(
    (value, ctx) => {
      const match = GUID.exec(value);
      if (!match) {
        ctx.issues.push({
          code: "custom",
          message:
            `id must be a GUID such as 6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10, optionally with urn:uuid: ("${value}")`,
          input: value,
        });
        return z.NEVER;
      }
      return match[1].toLowerCase();
    },
  ),
  name: text("name"),
  comment: text("comment").optional(),
  active: z.boolean({ error: "active must be true or false" }).default(true),
  communicationPartyId: digits("communicationPartyId (HER-id)"),
});

const organization = z.strictObject({
  organizationNumber,
  name: text("name"),
  businessId: digits("businessId"),
  location: z.strictObject({
    address: z.strictObject({
      line: z.array(text("address line"), {
        error: "line must be a list of strings",
      }).min(1, { error: "address needs at least one line" }),
      city: text("city"),
      postalCode: z.string({ error: "postalCode must be a string" }).trim()
        .regex(/^\d{4}$/, { error: "postalCode must be four digits" }),
    }),
    telecom: z.array(
      z.strictObject({
        system: z.enum(["phone", "url", "email"], {
          error: "system must be phone, url or email",
        }),
        value: text("value"),
      }),
    ).default([]),
  }),
  services: z.array(service).min(1, {
    error: "an organization needs at least one service",
  }),
});

/** The zod schema of an offerings file, normalizing as it checks. */
export const offeringsSchema = z.strictObject({
  $schema: z.string().optional(),
  organizations: z.array(organization).min(1, {
    error: "the file needs at least one organization",
  }),
}).superRefine((data, ctx) => {
  // Business identifiers must be unique, or one conditional update would
  // overwrite another within the same transaction.
  const orgs = new Map<string, number>();
  const services = new Map<string, string>();
  data.organizations.forEach((org, i) => {
    const first = orgs.get(org.organizationNumber);
    if (first !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["organizations", i, "organizationNumber"],
        message:
          `organization number ${org.organizationNumber} is also used by organizations[${first}]`,
      });
    } else orgs.set(org.organizationNumber, i);
    org.services.forEach((s, j) => {
      const at = `organizations[${i}].services[${j}]`;
      const firstService = services.get(s.id);
      if (firstService !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["organizations", i, "services", j, "id"],
          message: `service id ${s.id} is also used by ${firstService}`,
        });
      } else services.set(s.id, at);
    });
  });
});

/**
 * Check parsed JSON as an offerings file. Throws {@linkcode OfferingsError}
 * with every problem found.
 */
export function parseOfferings(data: unknown, source: string): Offerings {
  const result = offeringsSchema.safeParse(data);
  if (!result.success) {
    throw new OfferingsError(
      source,
      result.error.issues.map((issue) => ({
        path: formatPath(issue.path),
        message: issue.code === "invalid_type" && issue.input === undefined
          ? "is required"
          : issue.message,
      })),
    );
  }
  const { $schema: _, ...offerings } = result.data;
  return offerings;
}

/**
 * Read and check an offerings file (UTF-8 JSON, a BOM allowed). It is small,
 * so it is read whole. Throws {@linkcode InputError} "unreadable",
 * "encoding" or "not-json", or {@linkcode OfferingsError}.
 *
 * @example
 * ```ts
 * const offerings = await readOfferings("fixtures/helsetilbud.json");
 * offerings.organizations[0].organizationNumber; // "948554062"
 * ```
 */
export async function readOfferings(path: string): Promise<Offerings> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound
      ? "file not found"
      : "the file cannot be read";
    throw new InputError("unreadable", `${path}: ${reason}`, {
      source: path,
      cause,
    });
  }

  let json: string;
  try {
    json = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new InputError(
      "encoding",
      `${path}: the offerings file is not UTF-8; save it as UTF-8`,
      { source: path, cause },
    );
  }

  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    // The parser's message quotes the file; a members file given here by
    // mistake would put a national id in it, so only the line is kept.
    const line = jsonErrorLine(error, json);
    const where = line === undefined ? "" : ` (line ${line})`;
    throw new InputError("not-json", `${path}: not valid JSON${where}`, {
      source: path,
      line,
    });
  }
  return parseOfferings(data, path);
}

/** `["organizations", 1, "name"]` → `organizations[1].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}
