import assert from "node:assert/strict";
import { membersBundle } from "./members_bundle.ts";
import { dnrMember, fnrMember, sequentialIds } from "./_samples.ts";
import type { Patient } from "fhir/r4";

Deno.test("membersBundle() makes one conditional PUT per member in a batch", () => {
  const members = [fnrMember(), dnrMember()];
  const { bundle, entryMembers } = membersBundle(members, {
    newId: sequentialIds(),
  });

  assert.equal(bundle.resourceType, "Bundle");
  assert.equal(bundle.type, "batch");
  assert.equal(bundle.entry?.length, 2);
  assert.deepEqual(bundle.entry?.map((entry) => entry.fullUrl), [
    "urn:uuid:00000000-0000-4000-8000-000000000001",
    "urn:uuid:00000000-0000-4000-8000-000000000002",
  ]);
  assert.deepEqual(bundle.entry?.map((entry) => entry.request), [
    {
      method: "PUT",
      url: "Patient?identifier=urn%3Aoid%3A2.16.578.1.12.4.1.4.1%7C23907640450",
    },
    {
      method: "PUT",
      url: "Patient?identifier=urn%3Aoid%3A2.16.578.1.12.4.1.4.2%7C55904713375",
    },
  ]);
  assert.deepEqual(entryMembers, [[members[0]], [members[1]]]);
});

Deno.test("membersBundle() merges a person in two organizations into one entry", () => {
  const first = fnrMember({ row: 2 });
  const other = dnrMember();
  const second = fnrMember({
    row: 5,
    organizationNumber: "974760673",
    start: "2026-03-01",
  });
  const { bundle, entryMembers } = membersBundle([first, other, second], {
    newId: sequentialIds(),
  });

  assert.equal(bundle.entry?.length, 2);
  const patient = bundle.entry?.[0].resource as Patient;
  assert.deepEqual(
    patient.contact?.map((contact) => [
      contact.organization?.identifier?.value,
      contact.period?.start,
    ]),
    [["948554062", "2026-01-01"], ["974760673", "2026-03-01"]],
  );
  assert.deepEqual(entryMembers, [[first, second], [other]]);
});

Deno.test("membersBundle() adds no second contact for a repeated row", () => {
  const first = fnrMember({ row: 2 });
  const repeat = fnrMember({ row: 9 });
  const { bundle, entryMembers } = membersBundle([first, repeat]);

  const patient = bundle.entry?.[0].resource as Patient;
  assert.equal(patient.contact?.length, 1);
  assert.deepEqual(entryMembers, [[first, repeat]]);
});

Deno.test("membersBundle() gives random urn:uuid fullUrls by default", () => {
  const { bundle } = membersBundle([fnrMember(), dnrMember()]);
  const urls = bundle.entry?.map((entry) => entry.fullUrl ?? "") ?? [];
  for (const url of urls) {
    assert.match(
      url,
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  }
  assert.notEqual(urls[0], urls[1]);
});

Deno.test("membersBundle() of no members is an empty batch", () => {
  const { bundle, entryMembers } = membersBundle([]);
  assert.deepEqual(bundle, {
    resourceType: "Bundle",
    type: "batch",
    entry: [],
  });
  assert.deepEqual(entryMembers, []);
});

Deno.test("membersBundle() does not change the members it is given", () => {
  const members = [fnrMember(), fnrMember({ organizationNumber: "974760673" })];
  const copy = structuredClone(members);
  membersBundle(members);
  assert.deepEqual(members, copy);
});

Deno.test("membersBundle() keeps the same id under two identifier systems as two people", () => {
  const first = fnrMember({ row: 2 });
  const other = fnrMember({
    row: 3,
    idSystem: "urn:oid:2.16.578.1.12.4.1.4.2",
  });
  const { bundle, entryMembers } = membersBundle([first, other]);
  assert.equal(bundle.entry?.length, 2);
  assert.deepEqual(entryMembers, [[first], [other]]);
});

Deno.test("membersBundle() finds each person again among many", () => {
  const ids = [...sampleIds(300)];
  const members = [
    ...ids.map((nationalId, i) => fnrMember({ row: i + 2, nationalId })),
    ...ids.map((nationalId, i) =>
      fnrMember({ row: i + 400, nationalId, organizationNumber: "974760673" })
    ),
  ];
  const { bundle, entryMembers } = membersBundle(members);
  assert.equal(bundle.entry?.length, ids.length);
  entryMembers.forEach((rows, i) => {
    assert.deepEqual(rows.map((row) => row.row), [i + 2, i + 400]);
    const patient = bundle.entry?.[i].resource as Patient;
    assert.equal(patient.identifier?.[0].value, ids[i]);
    assert.equal(patient.contact?.length, 2);
  });
});

function* sampleIds(count: number): Generator<string> {
  for (let i = 0; i < count; i++) yield String(10_000_000_000 + i * 7919);
}
