// Time to data on screen for console pages in Debian's headless chromium, the way
// docs/ARCHITECTURE.md measures it: assets cached (a warm-up visit first), a new tab for every
// visit, the clock from navigation start to the page's data being on screen. Run by
// bench/console_tti.py, which starts wharf and makes the data.
//   WHARF_ENDPOINT, WHARF_KEY, WHARF_SECRET, RUNS; argv: "name|#hash|selector[ && selector]" ...
import { openBrowser } from "../tests/e2e/console/browser.mjs";

const { WHARF_ENDPOINT: endpoint, WHARF_KEY: key, WHARF_SECRET: secret } = process.env;
const runs = Number(process.env.RUNS ?? 7);
const browser = await openBrowser();
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
// Signed in, as a returning visitor in the same tab would be (sessionStorage).
await context.addInitScript(
  ([k, s]) => sessionStorage.setItem("wharf.console.session", JSON.stringify({ accessKeyId: k, secretAccessKey: s, region: "us-east-1" })),
  [key, secret],
);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const arg of process.argv.slice(2)) {
    const [name, hash, selector] = arg.split("|");
    const times = [];
    for (let i = 0; i <= runs; i++) {
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(`${endpoint}/console/${hash}`);
      // "a && b": every one of them on screen.
      for (const one of selector.split(" && ")) await page.locator(one).first().waitFor({ timeout: 30000 });
      const elapsed = Date.now() - started;
      if (i > 0) times.push(elapsed); // the first visit fills the cache
      await page.close();
    }
    console.log(`${name.padEnd(28)} median ${median(times)} ms  min ${Math.min(...times)}  max ${Math.max(...times)}  (${runs} visits)`);
  }
} finally {
  await browser.close();
}
