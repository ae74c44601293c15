/**
 * Step 1, offerings: a `transaction` Bundle of `Organization`, `Location` and
 * `HealthcareService` conditional updates (docs/api-contract.md).
 *
 * All or nothing: every entry is checked, every problem is listed in one
 * `OperationOutcome`, and only a Bundle without problems is stored.
 *
 * @module
 */

import type { Bundle, BundleEntry } from "fhir/r4";
import { parseOrganizationNumber } from "../src/identifiers/organization_number.ts";
import {
  HER_ID_SYSTEM,
  ORGANIZATION_NUMBER_SYSTEM,
  URI_SYSTEM,
} from "../src/identifiers/systems.ts";
import {
  isNonEmptyString,
  isObject,
  type JsonObject,
  parseConditionalUrl,
  Problems,
  show,
} from "./_checks.ts";
import { MockHttpError } from "./outcome.ts";
import type { MockStore, StoredType, StoreWrite } from "./store.ts";

/** The resource types an offerings transaction may hold. */
export type OfferingType = "Organization" | "Location" | "HealthcareService";

const OFFERING_TYPES: readonly string[] = [
  "Organization",
  "Location",
  "HealthcareService",
];

/** The identifier system each type is keyed on. */
const BUSINESS_SYSTEM: Record<OfferingType, string> = {
  Organization: ORGANIZATION_NUMBER_SYSTEM,
  Location: ORGANIZATION_NUMBER_SYSTEM,
  HealthcareService: URI_SYSTEM,
};

const UUID_URN =
  /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What processing an offerings transaction needs from the app. */
export interface OfferingsContext {
  store: MockStore;
  /** ISO instant for `meta.lastUpdated`. */
  lastUpdated: string;
}

interface PlannedEntry {
  index: number;
  type: OfferingType;
  /** `system|value`; undefined when the entry has problems of its own. */
  key?: string;
  fullUrl?: string;
  resource: JsonObject;
}

interface Target {
  type: StoredType;
  key: string;
}

/**
 * Check and store an offerings transaction; answers the `transaction-response`
 * or throws a {@linkcode MockHttpError} 400 listing every problem.
 */
export function processOfferings(
  entries: readonly unknown[],
  context: OfferingsContext,
): Bundle {
  const { store, lastUpdated } = context;
  const problems = new Problems();

  // Pass 1: each entry on its own.
  const planned: PlannedEntry[] = [];
  const byFullUrl = new Map<string, PlannedEntry>();
  const byKey = new Map<string, PlannedEntry>();
  // Every identifier sent, valid or not, so a reference to an entry that has
  // problems of its own is not reported a second time.
  const sent = new Set<string>();
  entries.forEach((entry, index) => {
    const plan = checkEntry(entry, index, problems);
    if (plan === undefined) return;
    planned.push(plan);
    for (const id of asArray(plan.resource.identifier)) {
      if (isObject(id)) sent.add(`${plan.type} ${id.system}|${id.value}`);
    }
    const path = `Bundle.entry[${index}]`;
    if (plan.fullUrl !== undefined) {
      const first = byFullUrl.get(plan.fullUrl);
      if (first !== undefined) {
        problems.add(
          "invalid",
          `${path}.fullUrl`,
          `fullUrl is the same as entry[${first.index}]'s; each entry needs its own`,
        );
      } else {
        byFullUrl.set(plan.fullUrl, plan);
      }
    }
    if (plan.key === undefined) return;
    const typeKey = `${plan.type} ${plan.key}`;
    const twin = byKey.get(typeKey);
    if (twin !== undefined) {
      problems.add(
        "invalid",
        `${path}.request.url`,
        `${plan.type} with identifier ${plan.key} appears twice in one transaction (also entry[${twin.index}])`,
      );
    } else {
      byKey.set(typeKey, plan);
    }
  });

  // Pass 2: references between entries, and to what is stored already.
  const targets = new Map<JsonObject, Target>();
  const resolver = { store, byFullUrl, byKey, sent, problems, targets };
  for (const plan of planned) {
    const path = `Bundle.entry[${plan.index}].resource`;
    const { resource } = plan;
    if (plan.type === "HealthcareService") {
      if (resource.providedBy === undefined) {
        problems.add(
          "required",
          `${path}.providedBy`,
          "HealthcareService.providedBy is required: the Organization that offers the service",
        );
      } else {
        resolveReference(
          resource.providedBy,
          `${path}.providedBy`,
          "Organization",
          resolver,
        );
      }
      if (resource.location !== undefined) {
        if (!Array.isArray(resource.location)) {
          problems.add(
            "invalid",
            `${path}.location`,
            "HealthcareService.location must be an array of references",
          );
        } else {
          resource.location.forEach((ref, k) =>
            resolveReference(
              ref,
              `${path}.location[${k}]`,
              "Location",
              resolver,
            )
          );
        }
      }
    }
    if (
      plan.type === "Location" && resource.managingOrganization !== undefined
    ) {
      resolveReference(
        resource.managingOrganization,
        `${path}.managingOrganization`,
        "Organization",
        resolver,
      );
    }
  }

  if (problems.size > 0) throw new MockHttpError(400, problems.list);

  // All valid: give every entry its id, point references at the stored ids,
  // and store them in one commit.
  const valid = planned as (PlannedEntry & { key: string })[];
  const ids = new Map<string, string>();
  for (const plan of valid) {
    ids.set(
      `${plan.type} ${plan.key}`,
      store.find(plan.type, plan.key)?.id ?? store.newId(),
    );
  }
  const idOf = (target: Target): string =>
    ids.get(`${target.type} ${target.key}`) ??
      store.find(target.type, target.key)?.id ?? "";

  const writes: StoreWrite[] = valid.map((plan) => ({
    type: plan.type,
    key: plan.key,
    id: ids.get(`${plan.type} ${plan.key}`)!,
    resource: rewriteReferences(plan.resource, targets, idOf) as never,
  }));
  const results = store.commit(writes, lastUpdated);

  const response: BundleEntry[] = results.map((result) => ({
    response: {
      status: result.created ? "201 Created" : "200 OK",
      location: `${result.type}/${result.id}/_history/${result.versionId}`,
      etag: `W/"${result.versionId}"`,
      lastModified: lastUpdated,
    },
  }));
  return {
    resourceType: "Bundle",
    type: "transaction-response",
    entry: response,
  };
}

function checkEntry(
  entry: unknown,
  index: number,
  problems: Problems,
): PlannedEntry | undefined {
  const path = `Bundle.entry[${index}]`;
  if (!isObject(entry)) {
    problems.add("structure", path, "each Bundle entry must be an object");
    return undefined;
  }

  let fullUrl: string | undefined;
  if (entry.fullUrl === undefined) {
    problems.add(
      "required",
      `${path}.fullUrl`,
      "fullUrl is required: a 'urn:uuid:' that other entries refer to",
    );
  } else if (
    typeof entry.fullUrl !== "string" || !UUID_URN.test(entry.fullUrl)
  ) {
    problems.add(
      "value",
      `${path}.fullUrl`,
      `fullUrl must be 'urn:uuid:' and a UUID, got ${show(entry.fullUrl)}`,
    );
  } else {
    fullUrl = entry.fullUrl.toLowerCase();
  }

  const resource = entry.resource;
  if (!isObject(resource)) {
    problems.add(
      resource === undefined ? "required" : "structure",
      `${path}.resource`,
      "each entry needs a resource object",
    );
    return undefined;
  }
  const type = resource.resourceType;
  if (typeof type !== "string" || !OFFERING_TYPES.includes(type)) {
    problems.add(
      "value",
      `${path}.resource.resourceType`,
      `an offerings transaction holds Organization, Location and HealthcareService, got ${
        show(type)
      }`,
    );
    return undefined;
  }
  const offeringType = type as OfferingType;
  const resourcePath = `${path}.resource`;

  let key: string | undefined;
  if (offeringType === "Organization") {
    key = checkOrganization(resource, resourcePath, problems);
  } else if (offeringType === "Location") {
    key = checkLocation(resource, resourcePath, problems);
  } else {
    key = checkHealthcareService(resource, resourcePath, problems);
  }

  const requestMatches = checkRequest(
    entry.request,
    path,
    offeringType,
    key,
    problems,
  );
  return {
    index,
    type: offeringType,
    key: requestMatches ? key : undefined,
    fullUrl,
    resource,
  };
}

/** Checks `request`; true when it is a PUT on the resource's own identifier. */
function checkRequest(
  request: unknown,
  path: string,
  type: OfferingType,
  key: string | undefined,
  problems: Problems,
): boolean {
  if (!isObject(request)) {
    problems.add(
      "required",
      `${path}.request`,
      `request is required: PUT ${type}?identifier=${
        BUSINESS_SYSTEM[type]
      }|...`,
    );
    return false;
  }
  let ok = true;
  if (request.method !== "PUT") {
    problems.add(
      "value",
      `${path}.request.method`,
      `request.method must be PUT (a conditional update), got ${
        show(request.method)
      }`,
    );
    ok = false;
  }
  if (typeof request.url !== "string") {
    problems.add("required", `${path}.request.url`, "request.url is required");
    return false;
  }
  const parsed = parseConditionalUrl(request.url);
  if (!parsed.ok) {
    problems.add(
      "value",
      `${path}.request.url`,
      `request.url ${parsed.reason}`,
    );
    return false;
  }
  const { url } = parsed;
  if (url.type !== type) {
    problems.add(
      "value",
      `${path}.request.url`,
      `request.url updates ${url.type}, but the resource is a ${type}`,
    );
    return false;
  }
  if (url.system !== BUSINESS_SYSTEM[type]) {
    problems.add(
      "value",
      `${path}.request.url`,
      `request.url must select ${type} on system ${
        BUSINESS_SYSTEM[type]
      }, got ${show(url.system)}`,
    );
    return false;
  }
  if (key !== undefined && key !== `${url.system}|${url.value}`) {
    problems.add(
      "invalid",
      `${path}.request.url`,
      `request.url selects identifier ${
        show(url.value)
      }, but the resource's identifier is ${
        show(key.slice(key.indexOf("|") + 1))
      }`,
    );
    return false;
  }
  return ok;
}

/**
 * Finds the identifier with `system` and checks its value; returns the
 * business key `system|value` when valid.
 */
function checkBusinessIdentifier(
  resource: JsonObject,
  path: string,
  system: string,
  what: string,
  validate: (value: string) => string | undefined,
  problems: Problems,
): string | undefined {
  const type = String(resource.resourceType);
  const identifiers = resource.identifier;
  if (!Array.isArray(identifiers) || identifiers.length === 0) {
    problems.add(
      "required",
      `${path}.identifier`,
      `${type}.identifier is required: the ${what} with system ${system}`,
    );
    return undefined;
  }
  const k = identifiers.findIndex((id) => isObject(id) && id.system === system);
  if (k === -1) {
    problems.add(
      "value",
      `${path}.identifier`,
      `${type}.identifier must hold the ${what} with system ${system}`,
    );
    return undefined;
  }
  const value = (identifiers[k] as JsonObject).value;
  if (!isNonEmptyString(value)) {
    problems.add(
      "required",
      `${path}.identifier[${k}].value`,
      `${type}.identifier value is required: the ${what}`,
    );
    return undefined;
  }
  const reason = validate(value);
  if (reason !== undefined) {
    problems.add(
      "value",
      `${path}.identifier[${k}].value`,
      `${show(value)}: ${reason}`,
    );
    return undefined;
  }
  return `${system}|${value}`;
}

function validOrganizationNumber(value: string): string | undefined {
  const result = parseOrganizationNumber(value);
  if (!result.ok) return result.reason;
  if (result.value !== value) {
    return "organization number must be sent as 9 digits without spaces";
  }
  return undefined;
}

function checkOrganization(
  resource: JsonObject,
  path: string,
  problems: Problems,
): string | undefined {
  const key = checkBusinessIdentifier(
    resource,
    path,
    ORGANIZATION_NUMBER_SYSTEM,
    "organization number",
    validOrganizationNumber,
    problems,
  );
  checkName(resource, path, "Organization", problems);
  checkEndpoints(
    resource.endpoint,
    path,
    "Organization",
    "business id",
    problems,
  );
  return key;
}

function checkLocation(
  resource: JsonObject,
  path: string,
  problems: Problems,
): string | undefined {
  const key = checkBusinessIdentifier(
    resource,
    path,
    ORGANIZATION_NUMBER_SYSTEM,
    "organization number of the organization it belongs to",
    validOrganizationNumber,
    problems,
  );
  const address = resource.address;
  if (!isObject(address)) {
    problems.add(
      address === undefined ? "required" : "invalid",
      `${path}.address`,
      "Location.address is required, an object with line, city and postalCode",
    );
    return key;
  }
  const line = address.line;
  if (!Array.isArray(line) || line.length === 0) {
    problems.add(
      "required",
      `${path}.address.line`,
      "Location.address.line is required: at least one street line",
    );
  } else {
    line.forEach((text, k) => {
      if (!isNonEmptyString(text)) {
        problems.add(
          "value",
          `${path}.address.line[${k}]`,
          "each address line must be non-empty text",
        );
      }
    });
  }
  if (!isNonEmptyString(address.city)) {
    problems.add(
      "required",
      `${path}.address.city`,
      "Location.address.city is required",
    );
  }
  if (!isNonEmptyString(address.postalCode)) {
    problems.add(
      "required",
      `${path}.address.postalCode`,
      "Location.address.postalCode is required",
    );
  } else if (!/^\d{4}$/.test(address.postalCode)) {
    problems.add(
      "value",
      `${path}.address.postalCode`,
      `a Norwegian postal code has 4 digits, got ${show(address.postalCode)}`,
    );
  }
  return key;
}

function checkHealthcareService(
  resource: JsonObject,
  path: string,
  problems: Problems,
): string | undefined {
  const key = checkBusinessIdentifier(
    resource,
    path,
    URI_SYSTEM,
    "service's local GUID",
    (value) =>
      UUID_URN.test(value)
        ? undefined
        : "the service id must be 'urn:uuid:' and a UUID",
    problems,
  );
  checkName(resource, path, "HealthcareService", problems);
  checkEndpoints(
    resource.endpoint,
    path,
    "HealthcareService",
    "communication party (HER-id)",
    problems,
  );
  return key;
}

function checkName(
  resource: JsonObject,
  path: string,
  type: string,
  problems: Problems,
): void {
  if (!isNonEmptyString(resource.name)) {
    problems.add(
      "required",
      `${path}.name`,
      `${type}.name is required: the name shown to the citizen`,
    );
  }
}

/** Endpoints are logical references: `{ identifier: { system: HER-id, value } }`. */
function checkEndpoints(
  endpoints: unknown,
  path: string,
  type: string,
  what: string,
  problems: Problems,
): void {
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    problems.add(
      "required",
      `${path}.endpoint`,
      `${type}.endpoint is required: the ${what} as an identifier with system ${HER_ID_SYSTEM}`,
    );
    return;
  }
  endpoints.forEach((endpoint, k) => {
    const at = `${path}.endpoint[${k}].identifier`;
    const identifier = isObject(endpoint) ? endpoint.identifier : undefined;
    if (!isObject(identifier)) {
      problems.add(
        "required",
        at,
        `${type}.endpoint needs an identifier: the ${what}`,
      );
      return;
    }
    if (identifier.system === undefined) {
      problems.add(
        "required",
        `${at}.system`,
        `the ${what} needs system ${HER_ID_SYSTEM}`,
      );
    } else if (identifier.system !== HER_ID_SYSTEM) {
      problems.add(
        "value",
        `${at}.system`,
        `the ${what} must use system ${HER_ID_SYSTEM}, got ${
          show(identifier.system)
        }`,
      );
    }
    if (!isNonEmptyString(identifier.value)) {
      problems.add("required", `${at}.value`, `the ${what} value is required`);
    } else if (!/^\d+$/.test(identifier.value)) {
      problems.add(
        "value",
        `${at}.value`,
        `the ${what} must be digits, got ${show(identifier.value)}`,
      );
    }
  });
}

interface Resolver {
  store: MockStore;
  byFullUrl: Map<string, PlannedEntry>;
  byKey: Map<string, PlannedEntry>;
  sent: Set<string>;
  problems: Problems;
  targets: Map<JsonObject, Target>;
}

/**
 * Resolve a reference to an entry of this Bundle (by `urn:uuid:` fullUrl, FHIR
 * R4 §3.1.0.11.2), to a stored resource (`Type/id`), or by its business
 * identifier (logical reference) to either. When it carries both a reference
 * and an identifier, they must name the same resource.
 */
function resolveReference(
  ref: unknown,
  path: string,
  targetType: "Organization" | "Location",
  resolver: Resolver,
): void {
  const { store, byFullUrl, byKey, sent, problems, targets } = resolver;
  if (!isObject(ref)) {
    problems.add("invalid", path, `must be a Reference to a ${targetType}`);
    return;
  }

  let byReference: Target | undefined;
  let byIdentifier: Target | undefined;
  let failed = false;
  let targetHasProblems = false;
  const reference = ref.reference;
  if (reference !== undefined) {
    if (typeof reference === "string" && reference.startsWith("urn:uuid:")) {
      const entry = byFullUrl.get(reference.toLowerCase());
      if (entry === undefined) {
        problems.add(
          "invalid",
          `${path}.reference`,
          `${show(reference)} is not the fullUrl of any entry in this Bundle`,
        );
        failed = true;
      } else if (entry.type !== targetType) {
        problems.add(
          "invalid",
          `${path}.reference`,
          `${
            show(reference)
          } is entry[${entry.index}], a ${entry.type}; expected a ${targetType}`,
        );
        failed = true;
      } else if (entry.key === undefined) {
        failed = true; // the entry's own problems are reported already
        targetHasProblems = true;
      } else {
        byReference = { type: targetType, key: entry.key };
      }
    } else if (
      typeof reference === "string" && reference.startsWith(`${targetType}/`)
    ) {
      const stored = store.findById(
        targetType,
        reference.slice(targetType.length + 1),
      );
      if (stored === undefined) {
        problems.add(
          "invalid",
          `${path}.reference`,
          `${show(reference)} is not stored`,
        );
        failed = true;
      } else {
        byReference = { type: targetType, key: stored.key };
      }
    } else {
      problems.add(
        "invalid",
        `${path}.reference`,
        `must be an entry's 'urn:uuid:' fullUrl or '${targetType}/{id}', got ${
          show(reference)
        }`,
      );
      failed = true;
    }
  }

  const identifier = ref.identifier;
  if (identifier !== undefined) {
    if (
      !isObject(identifier) ||
      identifier.system !== ORGANIZATION_NUMBER_SYSTEM ||
      !isNonEmptyString(identifier.value)
    ) {
      problems.add(
        "value",
        `${path}.identifier`,
        `a ${targetType} is identified by its organization number, system ${ORGANIZATION_NUMBER_SYSTEM}`,
      );
      failed = true;
    } else {
      const key = `${ORGANIZATION_NUMBER_SYSTEM}|${identifier.value}`;
      const typeKey = `${targetType} ${key}`;
      if (byKey.has(typeKey) || store.find(targetType, key) !== undefined) {
        byIdentifier = { type: targetType, key };
      } else if (sent.has(typeKey) || targetHasProblems) {
        failed = true; // the entry's own problems are reported already
      } else {
        problems.add(
          "invalid",
          `${path}.identifier`,
          `no ${targetType} with organization number ${
            show(identifier.value)
          } in this Bundle or stored`,
        );
        failed = true;
      }
    }
  }

  if (reference === undefined && identifier === undefined) {
    problems.add(
      "required",
      path,
      `needs a reference or an identifier of a ${targetType}`,
    );
    return;
  }
  if (failed) return;
  if (
    byReference !== undefined && byIdentifier !== undefined &&
    byReference.key !== byIdentifier.key
  ) {
    problems.add(
      "invalid",
      path,
      "reference and identifier name different resources",
    );
    return;
  }
  targets.set(ref, (byReference ?? byIdentifier)!);
}

/** A deep copy where each resolved reference points at `Type/{stored id}`. */
function rewriteReferences(
  value: unknown,
  targets: Map<JsonObject, Target>,
  idOf: (target: Target) => string,
): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => rewriteReferences(item, targets, idOf));
  }
  if (!isObject(value)) return value;
  const copy: JsonObject = {};
  for (const [name, item] of Object.entries(value)) {
    copy[name] = rewriteReferences(item, targets, idOf);
  }
  const target = targets.get(value);
  if (target !== undefined) copy.reference = `${target.type}/${idOf(target)}`;
  return copy;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
