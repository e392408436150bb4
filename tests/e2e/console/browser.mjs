// Debian's chromium driven by playwright-core (from web/'s devDependencies), as a person
// would use the console: the checks a test runs, each printed "ok NAME" or "FAIL NAME: why",
// with a screenshot of every page into the artifacts directory.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../../web/package.json"));
const { chromium } = require("playwright-core");

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export async function openBrowser() {
  // The flags keep chromium off the network (this machine has none but loopback) and
  // out of any profile; --no-sandbox because tests run as root.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

export class Checks {
  constructor(artifacts) {
    this.artifacts = artifacts;
    this.failed = 0;
    this.shots = 0;
    mkdirSync(artifacts, { recursive: true });
  }

  async run(name, fn) {
    // Timed as the Python checks are (wharf_harness.Checks): where a test's time goes.
    const started = Date.now();
    try {
      await fn();
      console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      this.failed++;
      console.log(`FAIL ${name}: ${String(e?.message ?? e).split("\n").slice(0, 6).join(" | ")}`);
      if (this.page) {
        await this.shot(`FAILED-${name}`).catch(() => {});
        // A dialog left open would stop every later check's clicks.
        await this.page.keyboard.press("Escape").catch(() => {});
      }
    }
  }

  async shot(name) {
    const file = join(this.artifacts, `${String(++this.shots).padStart(2, "0")}-${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }
}

// axe-core's serious and critical accessibility violations on the page as it is now.
export async function accessibilityViolations(page) {
  // Evaluated through the debugging protocol: the console's Content-Security-Policy refuses
  // inline scripts, as it should.
  await page.evaluate(readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}
