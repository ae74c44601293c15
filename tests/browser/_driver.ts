/**
 * Drives Debian's Chromium with playwright-core through the operator page,
 * as a coordinator would: log in, read the counts, retry one member, read
 * them again, download the problems CSV, take a screenshot. Run by
 * operator_browser_test.ts as a child process, because playwright-core
 * reads /proc, which Deno allows only with --allow-all; the test itself
 * keeps its narrow permissions.
 *
 * Input: one JSON argument ({@linkcode DriverInput}). Output: one JSON
 * line on stdout ({@linkcode DriverOutput}).
 */

import { chromium } from "playwright-core";

export interface DriverInput {
  url: string;
  user: string;
  password: string;
  /** Masked id of the member to retry (its row's `data-member`). */
  retry: string;
  /** Organization whose status counts to read. */
  org: string;
  chromium: string;
  /** Folder for the profile and the download. */
  workDir: string;
  screenshot: string;
}

export interface DriverOutput {
  before: { html: string; counts: Record<string, string>; listed: boolean };
  after: {
    html: string;
    counts: Record<string, string>;
    listed: boolean;
    notice: string;
  };
  csvPath: string;
  csvName: string;
}

/** Flags that keep Chromium quiet and local (no outside host is contacted). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--metrics-recording-only",
];

if (import.meta.main) {
  const input = JSON.parse(Deno.args[0]) as DriverInput;
  const output = await drive(input);
  await Deno.stdout.write(
    new TextEncoder().encode(JSON.stringify(output) + "\n"),
  );
}

async function drive(input: DriverInput): Promise<DriverOutput> {
  // A fresh profile each run; Playwright passes it as --user-data-dir.
  const context = await chromium.launchPersistentContext(
    `${input.workDir}/profile`,
    {
      executablePath: input.chromium,
      headless: true,
      args: CHROMIUM_FLAGS,
      locale: "nb-NO",
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      timeout: 60_000,
    },
  );
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(30_000);

    await page.goto(`${input.url}/`);
    await page.waitForURL(/\/login$/);
    await page.fill("#username", input.user);
    await page.fill("#password", input.password);
    await Promise.all([
      page.waitForURL(`${input.url}/`),
      page.click("form[action='/login'] button[type=submit]"),
    ]);

    const read = async () => {
      const counts: Record<string, string> = {};
      for (
        const cell of await page.locator(
          `tr[data-org="${input.org}"] td[data-status]`,
        ).all()
      ) {
        counts[(await cell.getAttribute("data-status"))!] =
          (await cell.textContent())!.trim();
      }
      counts.attention = (await page.textContent("#attention-count"))!.trim();
      return {
        html: await page.content(),
        counts,
        listed:
          await page.locator(`tr[data-member="${input.retry}"]`).count() > 0,
      };
    };
    const before = await read();

    await Promise.all([
      page.waitForURL(/notice=retried/),
      page.click(`tr[data-member="${input.retry}"] button.retry`),
    ]);
    const after = {
      ...(await read()),
      notice: (await page.textContent("#notice"))!.trim(),
    };

    await page.screenshot({ path: input.screenshot, fullPage: true });

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("#download-csv"),
    ]);
    const csvPath = `${input.workDir}/problems.csv`;
    await download.saveAs(csvPath);

    return {
      before,
      after,
      csvPath,
      csvName: download.suggestedFilename(),
    };
  } finally {
    await context.close();
  }
}
