// The Patient the members call stores, built so that it costs the garbage
// collector less.
//
// A parsed request body lives in V8's young generation; what the store keeps
// of it survives, and young-generation collections copy it once or twice
// (at 200 000 members, ~250 MB of copying). Objects made by an object or
// array literal whose results keep surviving are allocated straight into the
// old generation instead (allocation-site pretenuring). So a resource in the
// shape clients send is copied into literals, frozen as it is built, with the
// identifier systems and repeated dates sharing one string: ~110 MB copied
// at 200 000 members, 605 bytes kept a patient instead of 845, and at a
// million members a mock of ~750 MB instead of ~980 MB. Any other shape is
// stored as parsed, as before.

import type { Identifier, Patient, PatientContact } from "fhir/r4";
import {
  D_NUMMER_SYSTEM,
  FODSELSNUMMER_SYSTEM,
  ORGANIZATION_NUMBER_SYSTEM,
} from "../src/identifiers/systems.ts";
import { isObject, type JsonObject } from "./_checks.ts";

const PATIENT_KEYS = ["resourceType", "identifier", "contact"];
const IDENTIFIER_KEYS = ["system", "value"];
const CONTACT_KEYS = ["organization", "period"];
const ORGANIZATION_KEYS = ["identifier"];
const PERIOD_KEYS = ["start", "end"];

/**
 * The Patient to store for a valid member: `resource` with its `contact`
 * replaced by `kept` (frozen, from the stored version) and then the contacts
 * sent. Equal, key for key and in the same order, to
 * `{ ...resource, contact: [...kept, ...resource.contact] }`.
 */
export function storedPatient(
  resource: JsonObject,
  kept: readonly PatientContact[],
): Patient {
  const sent = resource.contact as PatientContact[];
  if (!hasClientShape(resource)) {
    return { ...resource, contact: [...kept, ...sent] } as Patient;
  }
  const identifiers = resource.identifier as Identifier[];
  const fresh = sent.map(copyContact);
  return {
    resourceType: "Patient",
    identifier: Object.freeze(identifiers.map(copyIdentifier)),
    contact: Object.freeze(kept.length === 0 ? fresh : [...kept, ...fresh]),
  } as Patient;
}

/**
 * Whether a valid member's resource holds exactly what src/fhir/patient.ts
 * sends, keys in that order and strings as values. The member checks have
 * already made sure of the types they look at; this adds the rest.
 */
function hasClientShape(resource: JsonObject): boolean {
  if (!hasKeys(resource, PATIENT_KEYS)) return false;
  for (const identifier of resource.identifier as unknown[]) {
    if (!isPlainIdentifier(identifier)) return false;
  }
  for (const contact of resource.contact as JsonObject[]) {
    const { organization, period } = contact;
    if (
      !hasKeys(contact, CONTACT_KEYS) || !isObject(organization) ||
      !hasKeys(organization, ORGANIZATION_KEYS) ||
      !isPlainIdentifier(organization.identifier) || !isObject(period) ||
      !hasKeys(period, PERIOD_KEYS) || typeof period.start !== "string" ||
      typeof period.end !== "string"
    ) {
      return false;
    }
  }
  return true;
}

function isPlainIdentifier(value: unknown): boolean {
  return isObject(value) && hasKeys(value, IDENTIFIER_KEYS) &&
    typeof value.system === "string" && typeof value.value === "string";
}

/** Whether the object's own keys are `names`, in that order. */
function hasKeys(value: JsonObject, names: readonly string[]): boolean {
  let i = 0;
  for (const name in value) {
    if (name !== names[i]) return false;
    i++;
  }
  return i === names.length;
}

function copyIdentifier(identifier: Identifier): Identifier {
  return Object.freeze({
    system: sharedSystem(identifier.system!),
    value: identifier.value,
  });
}

function copyContact(contact: PatientContact): PatientContact {
  const { organization, period } = contact;
  return Object.freeze({
    organization: Object.freeze({
      identifier: copyIdentifier(organization!.identifier!),
    }),
    period: Object.freeze({
      start: sharedDate(period!.start!, 0),
      end: sharedDate(period!.end!, 1),
    }),
  });
}

function sharedSystem(system: string): string {
  if (system === FODSELSNUMMER_SYSTEM) return FODSELSNUMMER_SYSTEM;
  if (system === D_NUMMER_SYSTEM) return D_NUMMER_SYSTEM;
  if (system === ORGANIZATION_NUMBER_SYSTEM) return ORGANIZATION_NUMBER_SYSTEM;
  return system;
}

/** The last start and end dates stored: members of a list mostly share them. */
const lastDates = ["", ""];

function sharedDate(date: string, slot: 0 | 1): string {
  if (date === lastDates[slot]) return lastDates[slot];
  lastDates[slot] = date;
  return date;
}
