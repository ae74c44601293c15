/**
 * Step 2, members: a `batch` Bundle of `Patient` conditional updates, each
 * answered on its own (docs/api-contract.md): `201`/`200` stored, `422` not
 * consented (not stored), `400` invalid.
 *
 * @module
 */

import type { Bundle, BundleEntry, Patient, PatientContact } from "fhir/r4";
import { maskNationalId } from "../src/identifiers/mask.ts";
import { parseNationalId } from "../src/identifiers/national_id.ts";
import { parseOrganizationNumber } from "../src/identifiers/organization_number.ts";
import {
  D_NUMMER_SYSTEM,
  FODSELSNUMMER_SYSTEM,
  ORGANIZATION_NUMBER_SYSTEM,
} from "../src/identifiers/systems.ts";
import {
  endsBeforeStart,
  isFullDate,
  isNonEmptyString,
  isObject,
  type JsonObject,
  parseConditionalUrl,
  Problems,
  show,
} from "./_checks.ts";
import { type ConsentSettings, isConsented } from "./consent.ts";
import { NOT_CONSENTED_CODING, operationOutcome } from "./outcome.ts";
import type { MockStore } from "./store.ts";

/** What processing a members batch needs from the app. */
export interface MembersContext {
  store: MockStore;
  /** ISO instant for `meta.lastUpdated`. */
  lastUpdated: string;
  /** Refuse synthetic Test Norge ids, as production does. */
  production: boolean;
  consent: ConsentSettings;
}

const NAME_OF_SYSTEM: Record<string, string> = {
  [FODSELSNUMMER_SYSTEM]: "fødselsnummer",
  [D_NUMMER_SYSTEM]: "D-nummer",
};

/**
 * Personal data the API never takes (the contract: no names, addresses or
 * phone numbers). The mock refuses it so a client that leaks it fails a test.
 */
const FORBIDDEN_PATIENT = ["name", "telecom", "address", "photo", "birthDate"];
const FORBIDDEN_CONTACT = ["name", "telecom", "address"];

interface ValidMember {
  nationalId: string;
  resource: JsonObject;
  contacts: PatientContact[];
  organizationNumbers: Set<string>;
}

/** Answer a members batch, one `batch-response` entry per entry, in order. */
export function processMembers(
  entries: readonly unknown[],
  context: MembersContext,
): Bundle {
  const answers: BundleEntry[] = [];
  for (let index = 0; index < entries.length; index++) {
    answers.push(processMember(entries[index], index, context));
  }
  return { resourceType: "Bundle", type: "batch-response", entry: answers };
}

function processMember(
  entry: unknown,
  index: number,
  context: MembersContext,
): BundleEntry {
  const { store, lastUpdated, production, consent } = context;
  const problems = new Problems();
  const member = checkMember(entry, index, production, problems);
  if (member === undefined) {
    return {
      response: {
        status: "400 Bad Request",
        outcome: operationOutcome(problems.list),
      },
    };
  }

  if (!isConsented(consent, member.nationalId)) {
    return {
      response: {
        status: "422 Unprocessable Entity",
        outcome: operationOutcome([{
          code: "business-rule",
          expression: `Bundle.entry[${index}].resource.identifier`,
          diagnostics: `the citizen ${
            maskNationalId(member.nationalId)
          } is not active on Helsenorge (has not consented), so the membership was not stored; send again later`,
          coding: NOT_CONSENTED_CODING,
        }]),
      },
    };
  }

  // One Patient per national id: contacts for the organizations named now
  // replace that organization's earlier contacts; the others are kept.
  const previous = store.find("Patient", member.nationalId);
  const kept = (previous?.resource.contact ?? []).filter((
    contact: PatientContact,
  ) =>
    !member.organizationNumbers.has(
      contact.organization?.identifier?.value ?? "",
    )
  );
  const resource = {
    ...member.resource,
    contact: [...kept, ...member.contacts],
  } as Patient;
  const [result] = store.commit([{
    type: "Patient",
    key: member.nationalId,
    id: previous?.id ?? store.newId(),
    resource,
  }], lastUpdated);

  return {
    response: {
      status: result.created ? "201 Created" : "200 OK",
      location: `Patient/${result.id}/_history/${result.versionId}`,
      etag: `W/"${result.versionId}"`,
      lastModified: lastUpdated,
    },
  };
}

function checkMember(
  entry: unknown,
  index: number,
  production: boolean,
  problems: Problems,
): ValidMember | undefined {
  const path = `Bundle.entry[${index}]`;
  if (!isObject(entry)) {
    problems.add("structure", path, "each Bundle entry must be an object");
    return undefined;
  }
  const resource = entry.resource;
  if (!isObject(resource)) {
    problems.add(
      resource === undefined ? "required" : "structure",
      `${path}.resource`,
      "each entry needs a Patient resource",
    );
    return undefined;
  }
  if (resource.resourceType !== "Patient") {
    problems.add(
      "value",
      `${path}.resource.resourceType`,
      `a members batch holds Patient resources, got ${
        show(resource.resourceType)
      }`,
    );
    return undefined;
  }
  const at = `${path}.resource`;

  for (const name of FORBIDDEN_PATIENT) {
    if (resource[name] !== undefined) {
      problems.add(
        "invalid",
        `${at}.${name}`,
        `Patient.${name} must not be sent: the API takes only identifier and contact`,
      );
    }
  }
  const identifier = checkNationalId(resource, at, production, problems);
  const contacts = checkContacts(resource.contact, at, problems);
  checkRequest(entry.request, path, identifier, problems);

  if (problems.size > 0 || identifier === undefined || contacts === undefined) {
    return undefined;
  }
  return {
    nationalId: identifier.value,
    resource,
    contacts: contacts.list,
    organizationNumbers: contacts.organizationNumbers,
  };
}

function checkNationalId(
  resource: JsonObject,
  at: string,
  production: boolean,
  problems: Problems,
): { system: string; value: string } | undefined {
  const identifiers = resource.identifier;
  if (!Array.isArray(identifiers) || identifiers.length === 0) {
    problems.add(
      "required",
      `${at}.identifier`,
      "Patient.identifier is required: the member's fødselsnummer or D-nummer",
    );
    return undefined;
  }
  // The first identifier with a national id system, and the index of a
  // second one if any (a loop, not a list of them: this runs per member).
  let k = -1;
  let system = "";
  let value: unknown;
  for (let i = 0; i < identifiers.length; i++) {
    const id = identifiers[i];
    if (
      !isObject(id) || typeof id.system !== "string" ||
      NAME_OF_SYSTEM[id.system] === undefined
    ) {
      continue;
    }
    if (k !== -1) {
      problems.add(
        "invalid",
        `${at}.identifier[${i}]`,
        "Patient.identifier must hold exactly one national id",
      );
      return undefined;
    }
    k = i;
    system = id.system;
    value = id.value;
  }
  if (k === -1) {
    problems.add(
      "value",
      `${at}.identifier`,
      `Patient.identifier must hold a national id with system ${FODSELSNUMMER_SYSTEM} (fødselsnummer) or ${D_NUMMER_SYSTEM} (D-nummer)`,
    );
    return undefined;
  }

  // Paths and masked ids are made only for a problem.
  const path = () => `${at}.identifier[${k}].value`;
  const kindName = NAME_OF_SYSTEM[system];
  if (!isNonEmptyString(value)) {
    problems.add("required", path(), `the ${kindName} is required`);
    return undefined;
  }
  // The server takes the 11 digits as sent: no spaces, no restored zero.
  if (!/^\d{11}$/.test(value)) {
    problems.add(
      "value",
      path(),
      `a ${kindName} has exactly 11 digits, got ${value.length} characters`,
    );
    return undefined;
  }
  const parsed = parseNationalId(value, { allowSynthetic: !production });
  if (!parsed.ok) {
    problems.add(
      "value",
      path(),
      `${maskNationalId(value)} is not a valid ${kindName}: ${parsed.reason}`,
    );
    return undefined;
  }
  if (parsed.id.system !== system) {
    const actual = parsed.id.kind === "dnr" ? "D-nummer" : "fødselsnummer";
    problems.add(
      "value",
      path(),
      `${
        maskNationalId(value)
      } is not a valid ${kindName}: it is a ${actual}, which is sent with system ${parsed.id.system}`,
    );
    return undefined;
  }
  return { system, value };
}

function checkContacts(
  contacts: unknown,
  at: string,
  problems: Problems,
):
  | { list: PatientContact[]; organizationNumbers: Set<string> }
  | undefined {
  if (!Array.isArray(contacts) || contacts.length === 0) {
    problems.add(
      "required",
      `${at}.contact`,
      "Patient.contact is required: one entry per organization with its membership period",
    );
    return undefined;
  }
  const before = problems.size;
  const organizationNumbers = new Set<string>();
  contacts.forEach((contact, k) => {
    const path = `${at}.contact[${k}]`;
    if (!isObject(contact)) {
      problems.add("structure", path, "each contact must be an object");
      return;
    }
    for (const name of FORBIDDEN_CONTACT) {
      if (contact[name] !== undefined) {
        problems.add(
          "invalid",
          `${path}.${name}`,
          `Patient.contact.${name} must not be sent: a contact holds only organization and period`,
        );
      }
    }
    const number = checkContactOrganization(
      contact.organization,
      path,
      problems,
    );
    if (number !== undefined) organizationNumbers.add(number);
    checkPeriod(contact.period, path, problems);
  });
  if (problems.size > before) return undefined;
  return { list: contacts as PatientContact[], organizationNumbers };
}

function checkContactOrganization(
  organization: unknown,
  path: string,
  problems: Problems,
): string | undefined {
  const what =
    "the organization number of the organization the person is a member of";
  if (!isObject(organization)) {
    problems.add(
      "required",
      `${path}.organization`,
      `contact.organization is required: ${what}`,
    );
    return undefined;
  }
  const identifier = organization.identifier;
  if (!isObject(identifier)) {
    problems.add(
      "required",
      `${path}.organization.identifier`,
      `contact.organization.identifier is required: ${what}`,
    );
    return undefined;
  }
  let ok = true;
  if (identifier.system !== ORGANIZATION_NUMBER_SYSTEM) {
    problems.add(
      identifier.system === undefined ? "required" : "value",
      `${path}.organization.identifier.system`,
      `the organization number needs system ${ORGANIZATION_NUMBER_SYSTEM}, got ${
        show(identifier.system)
      }`,
    );
    ok = false;
  }
  const value = identifier.value;
  if (!isNonEmptyString(value)) {
    problems.add(
      "required",
      `${path}.organization.identifier.value`,
      "the organization number is required",
    );
    return undefined;
  }
  const parsed = parseOrganizationNumber(value);
  if (!parsed.ok || parsed.value !== value) {
    problems.add(
      "value",
      `${path}.organization.identifier.value`,
      `${show(value)}: ${
        parsed.ok
          ? "organization number must be sent as 9 digits without spaces"
          : parsed.reason
      }`,
    );
    return undefined;
  }
  return ok ? value : undefined;
}

function checkPeriod(period: unknown, path: string, problems: Problems): void {
  if (!isObject(period)) {
    problems.add(
      "required",
      `${path}.period`,
      "contact.period is required: when the membership starts and ends",
    );
    return;
  }
  const start = checkPeriodDate(period, "start", path, problems);
  const end = checkPeriodDate(period, "end", path, problems);
  if (
    start !== undefined && end !== undefined && endsBeforeStart(start, end)
  ) {
    problems.add(
      "value",
      `${path}.period.end`,
      `the membership ends (${end}) before it starts (${start})`,
    );
  }
}

/** The period's `start` or `end` if it is a full date; else a problem. */
function checkPeriodDate(
  period: JsonObject,
  name: "start" | "end",
  path: string,
  problems: Problems,
): string | undefined {
  const value = period[name];
  if (typeof value === "string" && value !== "" && isFullDate(value)) {
    return value;
  }
  const at = `${path}.period.${name}`;
  if (value === undefined || value === null || value === "") {
    problems.add("required", at, `contact.period.${name} is required`);
  } else {
    problems.add(
      "value",
      at,
      `contact.period.${name} must be a date (YYYY-MM-DD) or a dateTime with zone, got ${
        show(value)
      }`,
    );
  }
  return undefined;
}

/**
 * `Patient?identifier=` and the system and `|` percent-encoded, by national
 * id system: what a client's URL for such an id starts with (the form
 * src/fhir/conditional_url.ts sends).
 */
const OWN_URL_PREFIX = new Map(
  [FODSELSNUMMER_SYSTEM, D_NUMMER_SYSTEM].map((system) => [
    system,
    `Patient?identifier=${encodeURIComponent(`${system}|`)}`,
  ]),
);

/**
 * Whether `url` is exactly the encoded conditional URL for the member's own
 * identifier (whose value checkNationalId has found to be 11 digits, which
 * encoding leaves as they are). {@linkcode parseConditionalUrl} would accept
 * such a URL and find the same system and value, so it need not run: this
 * compares without building a string.
 */
function isOwnUrl(
  url: string,
  identifier: { system: string; value: string },
): boolean {
  const prefix = OWN_URL_PREFIX.get(identifier.system);
  return prefix !== undefined &&
    url.length === prefix.length + identifier.value.length &&
    url.startsWith(prefix) && url.endsWith(identifier.value);
}

function checkRequest(
  request: unknown,
  path: string,
  identifier: { system: string; value: string } | undefined,
  problems: Problems,
): void {
  if (!isObject(request)) {
    problems.add(
      "required",
      `${path}.request`,
      "request is required: PUT Patient?identifier={system}|{national id}",
    );
    return;
  }
  if (request.method !== "PUT") {
    problems.add(
      "value",
      `${path}.request.method`,
      `request.method must be PUT (a conditional update), got ${
        show(request.method)
      }`,
    );
  }
  if (typeof request.url !== "string") {
    problems.add("required", `${path}.request.url`, "request.url is required");
    return;
  }
  if (identifier !== undefined && isOwnUrl(request.url, identifier)) return;
  const parsed = parseConditionalUrl(request.url);
  if (!parsed.ok) {
    problems.add(
      "value",
      `${path}.request.url`,
      `request.url ${parsed.reason}`,
    );
    return;
  }
  const { url } = parsed;
  if (url.type !== "Patient") {
    problems.add(
      "value",
      `${path}.request.url`,
      `request.url must update Patient, got ${show(url.type)}`,
    );
    return;
  }
  if (
    identifier !== undefined &&
    (url.system !== identifier.system || url.value !== identifier.value)
  ) {
    problems.add(
      "invalid",
      `${path}.request.url`,
      `request.url selects ${maskNationalId(url.value)} on system ${
        show(url.system)
      }, but the resource's identifier is ${
        maskNationalId(identifier.value)
      } on ${identifier.system}`,
    );
  }
}
