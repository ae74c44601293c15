import assert from "node:assert/strict";
import { conditionalUrl } from "./conditional_url.ts";

Deno.test("conditionalUrl() percent-encodes the whole system|value token", () => {
  assert.equal(
    conditionalUrl("Patient", "urn:oid:2.16.578.1.12.4.1.4.1", "23907640450"),
    "Patient?identifier=urn%3Aoid%3A2.16.578.1.12.4.1.4.1%7C23907640450",
  );
});

Deno.test("conditionalUrl() decodes back to the exact token", () => {
  const url = conditionalUrl(
    "HealthcareService",
    "urn:ietf:rfc:3986",
    "urn:uuid:6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10",
  );
  const query = new URLSearchParams(url.split("?")[1]);
  assert.equal(
    query.get("identifier"),
    "urn:ietf:rfc:3986|urn:uuid:6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10",
  );
});

Deno.test("conditionalUrl() encodes characters that would break the query", () => {
  const url = conditionalUrl("Organization", "urn:x", "a&b=c|d");
  assert.equal(url, "Organization?identifier=urn%3Ax%7Ca%26b%3Dc%7Cd");
});

Deno.test("conditionalUrl() gives the same URLs however types and systems alternate", () => {
  const cases: [string, string, string][] = [
    ["Patient", "urn:oid:2.16.578.1.12.4.1.4.1", "23907640450"],
    ["Patient", "urn:oid:2.16.578.1.12.4.1.4.2", "55904713375"],
    ["Organization", "urn:oid:2.16.578.1.12.4.1.4.1", "948554062"],
    ["Patient", "urn:x y/z?", "ø|&"],
  ];
  for (let round = 0; round < 3; round++) {
    for (const [type, system, value] of cases) {
      assert.equal(
        conditionalUrl(type, system, value),
        `${type}?identifier=${encodeURIComponent(`${system}|${value}`)}`,
      );
    }
  }
  // A lone surrogate cannot be encoded, in the value as in the whole token.
  assert.throws(() => conditionalUrl("Patient", "urn:x", "\ud800"), URIError);
});
