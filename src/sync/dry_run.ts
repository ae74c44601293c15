/**
 * The dry-run target: writes the bundles a real run would send, as JSON files,
 * and sends nothing.
 *
 * @module
 */

import type { Bundle } from "fhir/r4";
import type { BundleTarget } from "./sync.ts";

const BUNDLE_FILE = /^(offerings|members-\d{5})\.json$/;

/**
 * Write `offerings.json` and `members-00001.json`, `members-00002.json`, ...
 * into `dir` (created if missing; bundles of an earlier dry run in it are
 * removed first). The files hold national ids, as the real
 * calls would: they are written with owner-only permissions.
 */
export async function dryRunTarget(dir: string): Promise<BundleTarget> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new Deno.errors.AlreadyExists(
        `--out ${dir} exists and is not a folder`,
      );
    }
    throw error;
  }
  // Bundles of an earlier dry run would be mistaken for this one's.
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && BUNDLE_FILE.test(entry.name)) {
      await Deno.remove(`${dir}/${entry.name}`);
    }
  }
  let batch = 0;
  const write = async (name: string, bundle: Bundle) => {
    await Deno.writeTextFile(
      `${dir}/${name}`,
      JSON.stringify(bundle, null, 2) + "\n",
      { mode: 0o600 },
    );
    return undefined;
  };
  return {
    offerings: (bundle) => write("offerings.json", bundle),
    members: (bundle) =>
      write(`members-${String(++batch).padStart(5, "0")}.json`, bundle),
  };
}

/** The dry-run target without a folder: bundles are made, then dropped. */
export function discardTarget(): BundleTarget {
  const nothing = () => Promise.resolve(undefined);
  return { offerings: nothing, members: nothing };
}
