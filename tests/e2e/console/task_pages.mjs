// The cluster's tasks tab a page at a time, as the AWS console shows it: TASKS (env) running
// tasks in CLUSTER; 10 rows a page, the counter from the cluster's counts, "Next page" to the
// rest, and the page size preference. Run by tests/e2e/test_console_seed001.py (it needs the
// node to run tasks).
import { Checks, openBrowser } from "./browser.mjs";

const { WHARF_ENDPOINT: endpoint, WHARF_KEY: key, WHARF_SECRET: secret, ARTIFACTS: artifacts, CLUSTER: cluster } = process.env;
const total = Number(process.env.TASKS);
const checks = new Checks(artifacts);
const browser = await openBrowser();
const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
await context.addInitScript(
  ([k, s]) => sessionStorage.setItem("wharf.console.session", JSON.stringify({ accessKeyId: k, secretAccessKey: s, region: "us-east-1" })),
  [key, secret],
);
const page = await context.newPage();
checks.page = page;
page.setDefaultTimeout(20000);
// The task rows of the table: their task links.
const rows = () => page.locator("table tbody tr").filter({ has: page.locator("a") });

async function rowCount(n) {
  await page.waitForFunction(
    (want) => [...document.querySelectorAll("table tbody tr")].filter((tr) => tr.querySelector("a")).length === want,
    n,
  );
  return rows().count();
}

try {
  await checks.run("tasks_tab_shows_one_page_of_10_and_the_count", async () => {
    await page.goto(`${endpoint}/console/#/ecs/clusters/${cluster}?tab=tasks`);
    await page.getByText(`(${total})`, { exact: true }).waitFor();
    if ((await rowCount(10)) !== 10) throw new Error("the first page does not show 10 tasks");
    await checks.shot("tasks-page-1");
  });

  await checks.run("next_page_shows_the_rest", async () => {
    const first = await rows().allInnerTexts();
    await page.getByRole("button", { name: "Next page" }).click();
    const rest = total - 10;
    if ((await rowCount(rest)) !== rest) throw new Error(`page 2 does not show ${rest} tasks`);
    const second = await rows().allInnerTexts();
    if (second.some((r) => first.includes(r))) throw new Error("page 2 repeats a task of page 1");
    await checks.shot("tasks-page-2");
  });

  await checks.run("page_size_preference_shows_them_all", async () => {
    await page.getByRole("button", { name: "Preferences" }).click();
    await page.getByRole("dialog").getByText("25 tasks").click();
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    if ((await rowCount(total)) !== total) throw new Error(`25 a page does not show all ${total} tasks`);
  });
} finally {
  await browser.close();
}
process.exit(checks.failed ? 1 : 0);
