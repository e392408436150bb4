// Sign in, create a cluster by clicks, see it listed, see AWS's errors in a flashbar for a
// duplicate name, delete it; every main page shown once. Run by tests/e2e/test_console.py.
import { accessibilityViolations, Checks, openBrowser } from "./browser.mjs";

const { WHARF_ENDPOINT: endpoint, WHARF_KEY: key, WHARF_SECRET: secret, ARTIFACTS: artifacts } = process.env;
const checks = new Checks(artifacts);
const browser = await openBrowser();
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const page = await context.newPage();
checks.page = page;
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
page.setDefaultTimeout(15000);

const CLUSTER = "console-e2e-cluster";
const REPO = "console-e2e/web";

const flash = () => page.locator('[data-testid="flashbar"], [class*="awsui_flashbar"]').first();
const row = (text) => page.locator("tr", { hasText: text });

try {
  await checks.run("wrong_keys_are_refused_with_the_service_error", async () => {
    await page.goto(`${endpoint}/console/`);
    await page.getByRole("tab", { name: "Access key" }).click();
    await page.locator("#access-key-id").fill(key);
    await page.locator("#secret-access-key").fill("not-the-secret");
    await checks.shot("sign-in");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("SignatureDoesNotMatch").waitFor();
    await checks.shot("sign-in-refused");
  });

  await checks.run("sign_in_with_an_access_key", async () => {
    await page.locator("#secret-access-key").fill(secret);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: /^Clusters/ }).waitFor();
    const stored = await page.evaluate(() => Object.keys(sessionStorage));
    const local = await page.evaluate(() => Object.keys(localStorage));
    if (!stored.includes("wharf.console.session") || local.length) throw new Error(`session ${stored}, local ${local}`);
    await checks.shot("clusters");
  });

  await checks.run("create_a_cluster_by_clicks_and_see_it_listed", async () => {
    await page.getByRole("button", { name: "Create cluster" }).click();
    await page.locator("#cluster-name").fill(CLUSTER);
    await checks.shot("create-cluster");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByText(`Cluster ${CLUSTER} has been created successfully.`).waitFor();
    await page.getByRole("heading", { name: CLUSTER, exact: true }).waitFor();
    await checks.shot("cluster-detail");
    await page.getByRole("link", { name: "Clusters", exact: true }).first().click();
    await row(CLUSTER).getByRole("link", { name: CLUSTER }).waitFor();
    await row(CLUSTER).getByText("Active").waitFor();
    await checks.shot("clusters-listed");
  });

  await checks.run("a_url_per_resource_survives_a_reload", async () => {
    await page.goto(`${endpoint}/console/#/ecs/clusters/${CLUSTER}?tab=infrastructure`);
    await page.getByRole("heading", { name: CLUSTER, exact: true }).waitFor();
    await page.getByRole("tab", { name: "Infrastructure", selected: true }).waitFor();
    await page.getByText("Fargate tasks need none.").waitFor();
    await checks.shot("cluster-infrastructure");
  });

  await checks.run("a_duplicate_cluster_name_is_refused_in_a_flashbar", async () => {
    await page.getByRole("link", { name: "Clusters", exact: true }).first().click();
    await page.getByRole("button", { name: "Create cluster" }).click();
    await page.locator("#cluster-name").fill(CLUSTER);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await flash().getByText(`A cluster named ${CLUSTER} already exists`).first().waitFor();
    await checks.shot("duplicate-cluster");
    await page.getByRole("button", { name: "Cancel" }).click();
  });

  await checks.run("a_duplicate_repository_shows_ecrs_error_code_and_message", async () => {
    await page.getByRole("link", { name: "Repositories" }).click();
    for (let i = 0; i < 2; i++) {
      await page.getByRole("button", { name: "Create repository" }).click();
      await page.locator("#repository-name").fill(REPO);
      await page.getByRole("button", { name: "Create", exact: true }).click();
      if (i === 0) await row(REPO).waitFor();
    }
    await flash().getByText("RepositoryAlreadyExistsException").first().waitFor();
    await flash().getByText(/already exists in the registry/).first().waitFor();
    await checks.shot("duplicate-repository");
    await page.getByRole("button", { name: "Cancel" }).click();
  });

  await checks.run("view_push_commands_for_this_endpoint", async () => {
    await row(REPO).getByRole("radio").check();
    await page.getByRole("button", { name: "View push commands" }).click();
    const host = new URL(endpoint).host;
    try {
      await page.getByText(`--endpoint-url ${endpoint} | docker login --username AWS --password-stdin ${host}`).waitFor();
      await page.getByText(`docker push ${host}/${REPO}:latest`).waitFor();
      await checks.shot("push-commands");
    } finally {
      await page.getByRole("button", { name: "Close" }).last().click();
    }
    await page.getByRole("button", { name: "Delete" }).click();
    await page.locator("#confirm-delete").fill("delete");
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByText(`Repository ${REPO} has been deleted.`).waitFor();
  });

  await checks.run("delete_the_cluster_by_clicks", async () => {
    await page.getByRole("link", { name: "Clusters" }).first().click();
    await row(CLUSTER).getByRole("radio").check();
    await page.getByRole("button", { name: "Delete cluster" }).click();
    await page.locator("#confirm-delete").fill(`delete ${CLUSTER}`);
    await checks.shot("delete-cluster");
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByText(`Cluster ${CLUSTER} has been deleted.`).waitFor();
    await row(CLUSTER).waitFor({ state: "detached" });
  });

  await checks.run("no_serious_accessibility_violation_on_the_main_pages", async () => {
    // A success message fading out mid-check is half transparent: axe would judge its
    // contrast at some point of the animation. The messages were checked above.
    const dismiss = page.getByRole("button", { name: "Dismiss message" });
    while (await dismiss.count()) await dismiss.first().click({ timeout: 2000 }).catch(() => {});
    const found = [];
    for (const link of ["Clusters", "Task definitions", "Repositories", "Load balancers", "Target groups", "Security Groups", "Your VPCs", "Subnets", "Metrics", "Alarms", "Log groups"]) {
      await page.getByRole("link", { name: link, exact: true }).first().click();
      await page.waitForLoadState("networkidle");
      await page.locator("table").first().waitFor();
      for (const v of await accessibilityViolations(page)) found.push(`${link}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(", ")}`);
    }
    if (found.length) throw new Error(found.join("; "));
  });

  await checks.run("every_main_page_opens_without_errors", async () => {
    for (const [link, heading] of [
      ["Task definitions", /^Task definitions/],
      ["Load balancers", /^Load balancers/],
      ["Target groups", /^Target groups/],
      ["Security Groups", /^Security Groups/],
      ["Your VPCs", /^Your VPCs/],
      ["Subnets", /^Subnets/],
      ["Metrics", /^Metrics/],
      ["Alarms", /^Alarms/],
      ["Log groups", /^Log groups/],
    ]) {
      await page.getByRole("link", { name: link, exact: true }).click();
      await page.getByRole("heading", { name: heading }).first().waitFor();
      await page.waitForLoadState("networkidle");
      if (await page.getByText(/Could not load/).count()) throw new Error(`${link}: ${await page.getByText(/Could not load/).first().innerText()}`);
      await checks.shot(link.toLowerCase().replace(/ /g, "-"));
    }
    if (pageErrors.length) throw new Error(`errors in the page: ${pageErrors.join("; ")}`);
  });

  await checks.run("sign_out_forgets_the_keys", async () => {
    await page.getByRole("button", { name: key }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).first().waitFor();
    const stored = await page.evaluate(() => sessionStorage.getItem("wharf.console.session"));
    if (stored) throw new Error("the session is still stored");
  });
} finally {
  await browser.close();
}
process.exit(checks.failed ? 1 : 0);
