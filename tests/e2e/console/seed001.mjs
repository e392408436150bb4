// Seed 001 entirely by clicks (../shared/seeds/001): cluster alba-digi-cluster, task
// definition alba-digi-task (1 vCPU, 3 GB, the image pushed to wharf's ECR, port 5050), an
// ALB with target group alba-digi-tg checking /alive, a service of 2 tasks at 100 %/200 %
// with a 30 s grace period; 2 RUNNING tasks and 2 healthy targets on screen; the ALB's URL
// from the page answers "alive"; a task's logs tab shows its line; then everything deleted
// by clicks. Run by tests/e2e/test_console.py when the server has its node (root).
import { Checks, openBrowser } from "./browser.mjs";

const { WHARF_ENDPOINT: endpoint, WHARF_KEY: key, WHARF_SECRET: secret, ARTIFACTS: artifacts, IMAGE: image, LB_PORT: lbPort } = process.env;
const checks = new Checks(artifacts);
const browser = await openBrowser();
const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
const page = await context.newPage();
checks.page = page;
page.setDefaultTimeout(20000);

const CLUSTER = "alba-digi-cluster";
const FAMILY = "alba-digi-task";
const LB = "alba-digi-alb";
const TG = "alba-digi-tg";
const SERVICE = "alba-digi-service";
const row = (text) => page.locator("tr", { hasText: text });
// The side navigation's link; the layout folds the navigation away when the content is
// wide, so open it first if it is.
async function nav(name) {
  const open = page.getByRole("button", { name: "Open side navigation" });
  if (await open.isVisible()) await open.click();
  await page.getByRole("navigation").getByRole("link", { name, exact: true }).first().click();
}
// Cloudscape's Select: open it by its trigger, then pick the option.
async function choose(trigger, option) {
  await trigger.click();
  await page.getByRole("option", { name: option }).first().click();
}
let failedStep = false;
async function step(name, fn) {
  if (failedStep) {
    console.log(`FAIL ${name}: an earlier step failed`);
    checks.failed++;
    return;
  }
  const before = checks.failed;
  await checks.run(name, fn);
  if (checks.failed > before) failedStep = true;
}

try {
  await step("sign_in", async () => {
    await page.goto(`${endpoint}/console/`);
    await page.getByRole("tab", { name: "Access key" }).click();
    await page.locator("#access-key-id").fill(key);
    await page.locator("#secret-access-key").fill(secret);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: /^Clusters/ }).waitFor();
  });

  await step("create_cluster_alba_digi_cluster_with_fargate", async () => {
    await page.getByRole("button", { name: "Create cluster" }).click();
    await page.locator("#cluster-name").fill(CLUSTER);
    await page.getByRole("checkbox", { name: "AWS Fargate (serverless)" }).waitFor();
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: CLUSTER, exact: true }).waitFor();
    await checks.shot("cluster");
  });

  await step("create_task_definition_with_the_form", async () => {
    await nav("Task definitions");
    await page.getByRole("button", { name: "Create new task definition" }).first().click();
    await page.locator("#family").fill(FAMILY);
    await page.getByText("1 vCPU").first().waitFor();
    await page.getByText("3 GB").first().waitFor();
    await page.locator("#container-0-name").fill("alba-digi");
    await page.locator("#container-0-image").fill(image);
    await page.locator("#container-0-port-0").fill("5050");
    // httpd as pid 1 would ignore the SIGTERM of the service's deletion and the task stop
    // only at the 30 s stopTimeout (the form has no field for it); the shell exits on it.
    await page.locator("#container-0-command").fill('echo alba-digi is listening on 5050; trap "exit 0" TERM; httpd -f -p 5050 -h /www & wait');
    await checks.shot("create-task-definition");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: `${FAMILY}:1` }).waitFor();
    await page.getByRole("tab", { name: "JSON" }).click();
    const json = JSON.parse(await page.getByTestId("task-definition-json").innerText());
    if (json.cpu !== "1024" || json.memory !== "3072" || json.containerDefinitions[0].portMappings[0].containerPort !== 5050) {
      throw new Error(`registered ${JSON.stringify(json).slice(0, 300)}`);
    }
    await checks.shot("task-definition-json");
  });

  await step("create_the_load_balancer_and_target_group_with_the_wizard", async () => {
    await nav("Load balancers");
    await page.getByRole("button", { name: "Create load balancer" }).click();
    await page.locator("#load-balancer-name").fill(LB);
    await checks.shot("load-balancer-wizard-1");
    await page.getByRole("button", { name: "Next" }).click();
    await page.locator("#listener-port").fill(lbPort);
    await page.locator("#target-group-name").fill(TG);
    await page.locator("#target-group-port").fill("5050");
    await page.locator("#health-check-path").fill("/alive");
    await page.locator("#health-check-interval").fill("5");
    await page.locator("#healthy-threshold").fill("2");
    await checks.shot("load-balancer-wizard-2");
    await page.getByRole("button", { name: "Next" }).click();
    await checks.shot("load-balancer-wizard-3");
    await page.getByRole("button", { name: "Create load balancer" }).click();
    await page.getByRole("heading", { name: LB, exact: true }).waitFor();
    await page.getByText(`HTTP:${lbPort}`).first().waitFor();
    await checks.shot("load-balancer");
  });

  await step("create_the_service_2_tasks_100_200_grace_30", async () => {
    await nav("Clusters");
    await row(CLUSTER).getByRole("link", { name: CLUSTER }).click();
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: "Create service" }).waitFor();
    await choose(page.locator("#task-definition-family"), FAMILY);
    await page.getByText("1 (LATEST)").waitFor();
    await page.locator("#service-name").fill(SERVICE);
    await page.locator("#desired-tasks").fill("2");
    if ((await page.locator("#min-percent").inputValue()) !== "100" || (await page.locator("#max-percent").inputValue()) !== "200") {
      throw new Error("the deployment percentages do not default to 100/200");
    }
    await choose(page.locator("#target-group"), TG);
    await page.locator("#grace-period").fill("30");
    await checks.shot("create-service");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: SERVICE, exact: true }).waitFor();
  });

  await step("two_tasks_running_on_screen", async () => {
    await page.getByText("2/2 Tasks running").first().waitFor({ timeout: Number(process.env.RUNNING_TIMEOUT ?? 180000) });
    await page.getByRole("tab", { name: "Tasks" }).click();
    await page.locator("tr", { hasText: "Running" }).nth(1).waitFor({ timeout: 60000 });
    await checks.shot("service-tasks");
  });

  await step("two_healthy_targets_on_screen", async () => {
    await page.getByRole("tab", { name: "Health" }).click();
    await page.locator("tr", { hasText: "Healthy" }).nth(1).waitFor({ timeout: 120000 });
    // The service's CPU and memory graphs (AWS/ECS), drawn even before their first datapoint.
    await page.getByRole("img", { name: /^CPU utilization: \d+ datapoints$/ }).waitFor();
    await page.getByRole("img", { name: /^Memory utilization: \d+ datapoints$/ }).waitFor();
    await checks.shot("service-health");
    await nav("Target groups");
    // The service's page, whose target rows link to the group too, stays on screen until the
    // target groups page's chunk has loaded.
    await page.getByRole("tab", { name: "Health" }).waitFor({ state: "detached", timeout: 30000 });
    await row(TG).getByRole("link", { name: TG }).click();
    await page.getByText("2 / 0 / 0 / 0").waitFor({ timeout: 60000 });
    await checks.shot("target-group");
  });

  await step("the_alb_url_on_the_page_answers_alive", async () => {
    await nav("Load balancers");
    await row(LB).getByRole("link", { name: LB }).click();
    const url = (await page.getByTestId("listener-url").first().innerText()).trim();
    // In the browser, as a person would open it: chromium resolves *.localhost to loopback
    // (DNSName is <name>-<n>.<region>.elb.localhost), the machine's resolver may not.
    const tab = await context.newPage();
    const res = await tab.goto(new URL("alive", url).toString());
    const body = (await tab.locator("body").innerText()).trim();
    await tab.close();
    if (res?.status() !== 200 || body !== "alive") throw new Error(`${url}alive answered ${res?.status()} ${body}`);
    console.log(`   | ${url}alive answered ${body}`);
  });

  await step("a_tasks_logs_tab_shows_its_line", async () => {
    await nav("Clusters");
    await row(CLUSTER).getByRole("link", { name: CLUSTER }).click();
    await page.getByRole("tab", { name: "Tasks" }).click();
    await page.locator("tr", { hasText: `${FAMILY}:1` }).first().getByRole("link").first().click();
    await page.getByText("Private IP").waitFor();
    await checks.shot("task");
    await page.getByRole("tab", { name: "Logs" }).click();
    await page.getByTestId("log-events").getByText("alba-digi is listening on 5050").waitFor({ timeout: 30000 });
    await checks.shot("task-logs");
  });

  await step("delete_the_service_by_clicks", async () => {
    await nav("Clusters");
    await row(CLUSTER).getByRole("link", { name: CLUSTER }).click();
    await page.getByRole("link", { name: SERVICE }).click();
    await page.getByRole("button", { name: "Delete service" }).click();
    await page.locator("#confirm-delete").fill("delete");
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("heading", { name: CLUSTER, exact: true }).waitFor();
    // The service drains: its tasks stop, then it goes.
    await page.getByText("0 Pending | 0 Running").waitFor({ timeout: 120000 });
    await page.getByText("No services to display.").waitFor({ timeout: 60000 });
  });

  await step("delete_the_load_balancer_and_target_group_by_clicks", async () => {
    await nav("Load balancers");
    await row(LB).getByRole("radio").check();
    await page.getByRole("button", { name: "Delete load balancer" }).click();
    await page.locator("#confirm-delete").fill("confirm");
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await row(LB).waitFor({ state: "detached" });
    await nav("Target groups");
    await row(TG).getByRole("radio").check();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.locator("#confirm-delete").fill("delete");
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await row(TG).waitFor({ state: "detached" });
  });

  await step("deregister_the_task_definition_and_delete_the_cluster", async () => {
    await nav("Task definitions");
    await row(FAMILY).getByRole("link", { name: FAMILY }).click();
    await page.getByRole("link", { name: `${FAMILY}:1` }).click();
    await page.getByRole("button", { name: "Deregister" }).click();
    await page.getByText(`Task definition ${FAMILY}:1 has been deregistered.`).waitFor();
    await nav("Clusters");
    await row(CLUSTER).getByRole("radio").check();
    await page.getByRole("button", { name: "Delete cluster" }).click();
    await page.locator("#confirm-delete").fill(`delete ${CLUSTER}`);
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByText(`Cluster ${CLUSTER} has been deleted.`).waitFor({ timeout: 60000 });
    await checks.shot("all-deleted");
  });
} finally {
  await browser.close();
}
process.exit(checks.failed ? 1 : 0);
