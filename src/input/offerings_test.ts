import assert from "node:assert/strict";
import {
  formatPath,
  OfferingsError,
  parseOfferings,
  readOfferings,
} from "./offerings.ts";
import { InputError } from "./problem.ts";
import { fixture } from "./_test_helpers.ts";

Deno.test("readOfferings() reads and normalizes the sample", async () => {
  const offerings = await readOfferings(fixture("helsetilbud.json"));
  assert.equal(offerings.organizations.length, 2);
  const [first, second] = offerings.organizations;
  assert.equal(first.organizationNumber, "948554062");
  assert.equal(first.services[0].id, "6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10");
  assert.equal(first.location.telecom[0].system, "phone");
  assert.equal(second.services[0].active, true); // defaulted
  assert.deepEqual(second.location.address.line, [
    "Universitetsveien 12",
    "Bygg B",
  ]);
});

Deno.test("readOfferings() reports every problem at once, with JSON paths", async () => {
  await assert.rejects(
    readOfferings(fixture("input/helsetilbud-invalid.json")),
    (error) => {
      assert.ok(error instanceof OfferingsError);
      assert.ok(error instanceof InputError);
      assert.equal(error.code, "invalid-offerings");
      const paths = error.issues.map((i) => i.path).sort();
      assert.deepEqual(paths, [
        "organizations[0].location.telecom[0].system",
        "organizations[1].location.address.line[0]",
        "organizations[1].organizationNumber",
        "organizations[1].services[0]",
        "organizations[1].services[0].communicationPartyId",
        "organizations[1].services[0].id",
        "organizations[1].services[0].name",
      ]);
      assert.match(error.message, /7 problems/);
      assert.match(error.message, /organizations\[1\]\.services\[0\]\.name/);
      return true;
    },
  );
});

Deno.test("parseOfferings() accepts a urn:uuid: service id and numbers as strings", () => {
  const offerings = parseOfferings({
    organizations: [{
      organizationNumber: 948554062,
      name: "A",
      businessId: 112233,
      location: {
        address: { line: ["Gate 1"], city: "Oslo", postalCode: "0155" },
      },
      services: [{
        id: "urn:uuid:6F1C2A9E-3B7D-4C1E-9A55-0D2F8E7B4C10",
        name: "S",
        active: false,
        communicationPartyId: 8093240,
      }],
    }],
  }, "inline");
  const [org] = offerings.organizations;
  assert.equal(org.organizationNumber, "948554062");
  assert.equal(org.businessId, "112233");
  assert.deepEqual(org.location.telecom, []);
  assert.deepEqual(org.services[0], {
    id: "6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10",
    name: "S",
    active: false,
    communicationPartyId: "8093240",
  });
});

Deno.test("parseOfferings() refuses duplicate organizations and service ids", () => {
  const org = {
    organizationNumber: "948554062",
    name: "A",
    businessId: "1",
    location: {
      address: { line: ["Gate 1"], city: "Oslo", postalCode: "0155" },
    },
    services: [{
      id: "6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4c10",
      name: "S",
      communicationPartyId: "1",
    }],
  };
  assert.throws(
    () => parseOfferings({ organizations: [org, org] }, "inline"),
    (error) => {
      assert.ok(error instanceof OfferingsError);
      assert.deepEqual(error.issues.map((i) => i.path), [
        "organizations[1].organizationNumber",
        "organizations[1].services[0].id",
      ]);
      return true;
    },
  );
});

Deno.test("parseOfferings() refuses an empty or wrong-shaped file", () => {
  assert.throws(
    () => parseOfferings({ organizations: [] }, "x"),
    OfferingsError,
  );
  assert.throws(() => parseOfferings([], "x"), OfferingsError);
});

Deno.test("readOfferings() refuses a file that is not JSON, or missing", async () => {
  await assert.rejects(
    readOfferings(fixture("medlemmer-eksport.csv")),
    (error) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.code, "not-json");
      assert.doesNotMatch(error.message, /Fødselsnummer|\d{6}/);
      return true;
    },
  );
  await assert.rejects(
    readOfferings(fixture("input/none.json")),
    (error) => error instanceof InputError && error.code === "unreadable",
  );
});

Deno.test("formatPath() writes JSON paths", () => {
  assert.equal(
    formatPath(["organizations", 1, "services", 0, "name"]),
    "organizations[1].services[0].name",
  );
  assert.equal(formatPath([]), "");
});
