/**
 * End-to-end runs of `deno task sync` as a separate process, against the mock
 * started here on 127.0.0.1, on the shared sample export.
 */

import { cli, ROOT, type Run } from "./_cli.ts";
import assert from "node:assert/strict";
import type { Patient } from "fhir/r4";
import { startMock } from "../../mock-helsenorge/server.ts";
import { D_NUMMER_SYSTEM } from "../../src/identifiers/systems.ts";
import type { SyncReport } from "../../src/sync/report.ts";
import { validateR4 } from "../fhir/r4_validator.ts";

const MEMBERS = `${ROOT}fixtures/medlemmer-eksport.csv`;
const OFFERINGS = `${ROOT}fixtures/helsetilbud.json`;

/** Every 11-digit run in the sample, padded or not: none may be printed. */
const SAMPLE_IDS = [
  ...Deno.readTextFileSync(MEMBERS).matchAll(/\d{10,11}/g),
].map((m) => m[0].padStart(11, "0"));

function sync(args: string[]): Promise<Run> {
  return cli(["sync", ...args]);
}

function assertNoFullIds(text: string, where: string) {
  for (const id of SAMPLE_IDS) {
    assert.ok(!text.includes(id), `${where} shows a full national id`);
  }
}

interface Received {
  organizations: unknown[];
  locations: unknown[];
  healthcareServices: unknown[];
  patients: Patient[];
}

async function received(url: string): Promise<Received> {
  const response = await fetch(`${url}/_mock/received`);
  return await response.json();
}

Deno.test("sync of the sample export reaches the mock with the expected counts", async () => {
  const mock = await startMock({ port: 0 });
  const dir = await Deno.makeTempDir();
  try {
    const run = await sync([
      "--env",
      "mock",
      "--base-url",
      mock.baseUrl,
      "--offerings",
      OFFERINGS,
      "--members",
      MEMBERS,
      "--report",
      `${dir}/report.json`,
    ]);
    assert.equal(run.code, 1, run.stderr + run.stdout);

    const report: SyncReport = JSON.parse(
      await Deno.readTextFile(`${dir}/report.json`),
    );
    const m = report.members;
    assert.equal(m.read, 43);
    assert.equal(m.invalid, 3);
    assert.equal(m.duplicates, 1);
    assert.equal(m.stored + m.notConsented, 39);
    assert.equal(m.failed, 0);
    assert.ok(m.notConsented > 0, "the mock's consent rule leaves some out");
    assert.equal(report.offerings.status, "sent");

    const errors = report.problems.filter((p) => p.severity === "error");
    assert.deepEqual(errors.map((p) => [p.row, p.code]), [
      [39, "invalid-national-id"],
      [40, "missing-end-date"],
      [41, "end-before-start"],
    ]);
    const warnings = report.problems.filter((p) => p.severity === "warning");
    assert.deepEqual(warnings.map((p) => [p.row, p.code]).sort(), [
      [38, "restored-leading-zero"],
      [42, "duplicate"],
    ]);

    const stored = await received(mock.url);
    assert.equal(stored.organizations.length, 2);
    assert.equal(stored.locations.length, 2);
    assert.equal(stored.healthcareServices.length, 3);
    assert.equal(stored.patients.length, m.stored);
    for (const patient of stored.patients) {
      assert.equal(patient.name, undefined);
      assert.equal(patient.telecom, undefined);
      const id = patient.identifier![0];
      const dnr = Number(id.value![0]) >= 4;
      assert.equal(id.system === D_NUMMER_SYSTEM, dnr, "D-nummer system");
    }
    assert.ok(
      stored.patients.some((p) => p.identifier![0].value === "09863110510"),
      "the 10-digit id is sent with its leading zero restored",
    );
    for (
      const resource of [
        ...stored.organizations,
        ...stored.locations,
        ...stored.healthcareServices,
        ...stored.patients,
      ]
    ) {
      assert.deepEqual(validateR4(resource), []);
    }

    assertNoFullIds(run.stdout + run.stderr, "CLI output");
    assertNoFullIds(await Deno.readTextFile(`${dir}/report.json`), "report");

    // The same sync again changes nothing at the mock.
    const again = await sync([
      "--base-url",
      mock.baseUrl,
      "--offerings",
      OFFERINGS,
      "--members",
      MEMBERS,
      "--quiet",
    ]);
    assert.equal(again.code, 1, again.stderr);
    const after = await received(mock.url);
    assert.equal(after.patients.length, stored.patients.length);
    assert.equal(after.organizations.length, 2);
    assert.equal(after.healthcareServices.length, 3);
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--dry-run --out writes valid R4 bundles and sends nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = await sync([
      "--dry-run",
      "--out",
      dir,
      "--batch-size",
      "10",
      "--offerings",
      OFFERINGS,
      "--members",
      MEMBERS,
    ]);
    assert.equal(run.code, 1, run.stderr);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(files, [
      "members-00001.json",
      "members-00002.json",
      "members-00003.json",
      "members-00004.json",
      "offerings.json",
    ]);
    let entries = 0;
    for (const file of files) {
      const bundle = JSON.parse(await Deno.readTextFile(`${dir}/${file}`));
      assert.deepEqual(validateR4(bundle), [], file);
      if (file.startsWith("members")) entries += bundle.entry.length;
    }
    assert.equal(entries, 39);
    assert.match(run.stdout, /dry run/);
    assertNoFullIds(run.stdout + run.stderr, "dry-run output");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--env prod --dry-run refuses every synthetic id with a clear reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = await sync([
      "--env",
      "prod",
      "--dry-run",
      "--members",
      MEMBERS,
      "--report",
      `${dir}/report.json`,
    ]);
    assert.equal(run.code, 1, run.stderr);
    const report: SyncReport = JSON.parse(
      await Deno.readTextFile(`${dir}/report.json`),
    );
    assert.equal(report.members.read, 43);
    assert.equal(report.members.prepared, 0);
    assert.equal(report.members.invalid, 43);
    const synthetic = report.problems.filter((p) =>
      p.code === "synthetic-id-in-production"
    );
    // Every row but the one with wrong check digits is a valid synthetic id.
    assert.equal(synthetic.length, 42);
    assert.match(synthetic[0].reason, /Test Norge.*production/);
    assertNoFullIds(run.stdout + run.stderr, "prod dry-run output");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run that stops with exit 2 leaves no empty report behind, and keeps a file that was there", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = (report: string) => [
      "--env",
      "mock",
      "--members",
      `${ROOT}fixtures/nope.csv`,
      "--report",
      report,
    ];
    const fresh = await sync(args(`${dir}/fresh.json`));
    assert.equal(fresh.code, 2, fresh.stderr);
    await assert.rejects(Deno.stat(`${dir}/fresh.json`), Deno.errors.NotFound);

    await Deno.writeTextFile(`${dir}/kept.json`, "an earlier report\n");
    const kept = await sync(args(`${dir}/kept.json`));
    assert.equal(kept.code, 2, kept.stderr);
    assert.equal(
      await Deno.readTextFile(`${dir}/kept.json`),
      "an earlier report\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad usage exits with 2 and says why", async () => {
  const noFiles = await sync(["--env", "mock"]);
  assert.equal(noFiles.code, 2);
  assert.match(noFiles.stderr, /nothing to send/);

  const badEnv = await sync(["--env", "staging", "--members", MEMBERS]);
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.stderr, /--env \(MEDLEMSBRO_ENV\)/);

  const missing = await sync(["--members", `${ROOT}fixtures/nope.csv`]);
  assert.equal(missing.code, 2);
});

Deno.test("the demo syncs the fixtures to the in-process mock and exits 0", async () => {
  const run = await cli(["demo"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Demo finished as expected/);
  assert.match(run.stdout, /43 read/);
  assert.match(run.stdout, /row 39/);
  assertNoFullIds(run.stdout + run.stderr, "demo output");
});
