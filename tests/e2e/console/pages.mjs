// Sign in as an IAM user with a password, then the EC2, load balancing and CloudWatch pages
// by clicks: a security group and its rules, a VPC and a subnet, a listener's rules, a metric
// graph and an alarm; each change checked with boto3 as a user would check it; and a user
// whose password must change choosing a new one at sign-in (naming the account by its alias). Run by
// tests/e2e/test_console.py, which makes the IAM user, the load balancer and the metric data
// beforehand and removes them after.
import { execFileSync } from "node:child_process";
import { Checks, openBrowser } from "./browser.mjs";

const env = process.env;
const { WHARF_ENDPOINT: endpoint, ARTIFACTS: artifacts, IAM_USER: user, IAM_PASSWORD: password, ACCOUNT: account } = env;
const { LB_NAME: lbName, LB_PORT: lbPort, TG_NAME: tgName, METRIC_NAMESPACE: namespace } = env;
const checks = new Checks(artifacts);
const browser = await openBrowser();
const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
const page = await context.newPage();
checks.page = page;
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
page.setDefaultTimeout(15000);

const SG = "console-e2e-sg";
const ALARM = "console-e2e-alarm";
const row = (text) => page.locator("tr", { hasText: text });
const dialog = () => page.getByRole("dialog");

// What the account looks like to boto3 (Debian's python3), as the admin: `code` prints JSON.
function boto3(code) {
  const prelude = [
    "import boto3, json, os",
    "def c(s): return boto3.session.Session().client(s, region_name='us-east-1', endpoint_url=os.environ['WHARF_ENDPOINT'],"
      + " aws_access_key_id=os.environ['WHARF_KEY'], aws_secret_access_key=os.environ['WHARF_SECRET'])",
  ].join("\n");
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", `${prelude}\n${code}`], { env, encoding: "utf8", timeout: 60000 }));
}

// The side navigation, opened first if the layout closed it (as seed001.mjs does).
async function nav(name) {
  const open = page.getByRole("button", { name: "Open side navigation" });
  if (await open.isVisible()) await open.click();
  await page.getByRole("navigation").getByRole("link", { name, exact: true }).first().click();
}
async function choose(trigger, option) {
  await trigger.click();
  await page.getByRole("option", { name: option, exact: true }).first().click();
}
async function confirmDelete(phrase) {
  await page.locator("#confirm-delete").fill(phrase);
  await dialog().getByRole("button", { name: "Delete" }).click();
}
let groupId = "";

try {
  await checks.run("a_wrong_password_gets_the_aws_consoles_message", async () => {
    await page.goto(`${endpoint}/console/`);
    await page.locator("#iam-user-name").fill(user);
    await page.locator("#password").fill("not-the-password");
    await page.locator("#account-id").fill(account);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Your authentication information is incorrect. Please try again.").waitFor();
    await checks.shot("password-refused");
  });

  await checks.run("sign_in_as_an_iam_user_with_a_password", async () => {
    await page.locator("#password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: /^Clusters/ }).waitFor();
    await page.getByRole("button", { name: user }).waitFor();
    const s = JSON.parse(await page.evaluate(() => sessionStorage.getItem("wharf.console.session")));
    // Temporary credentials of the user, never the password.
    if (!s.accessKeyId.startsWith("ASIA") || !s.sessionToken || JSON.stringify(s).includes(password)) throw new Error(JSON.stringify(Object.keys(s)));
    await checks.shot("signed-in-as-user");
  });

  await checks.run("create_a_security_group_with_an_inbound_rule_by_clicks", async () => {
    await nav("Security Groups");
    await page.getByRole("button", { name: "Create security group" }).click();
    await page.locator("#security-group-name").fill(SG);
    await page.locator("#security-group-description").fill("made by the console test");
    await page.getByRole("button", { name: "Add rule" }).click();
    await choose(page.locator("#rule-0-type"), "HTTP");
    await page.locator("#rule-0-source").fill("10.0.0.0/16");
    await checks.shot("create-security-group");
    await page.getByRole("button", { name: "Create security group" }).click();
    await page.getByText(/Security group \(sg-[0-9a-z]+ \| console-e2e-sg\) was created successfully/).waitFor();
    await row("10.0.0.0/16").getByText("HTTP", { exact: true }).waitFor();
    const seen = boto3(`g = c("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": ["${SG}"]}])["SecurityGroups"][0]
print(json.dumps({"id": g["GroupId"], "in": g["IpPermissions"]}))`);
    groupId = seen.id;
    const p = seen.in[0];
    if (seen.in.length !== 1 || p.IpProtocol !== "tcp" || p.FromPort !== 80 || p.IpRanges[0].CidrIp !== "10.0.0.0/16") throw new Error(JSON.stringify(seen));
    await checks.shot("security-group");
  });

  await checks.run("add_and_remove_rules_by_clicks", async () => {
    await page.getByRole("button", { name: "Add inbound rule" }).click();
    await page.locator("#rule-0-ports").fill("5050-5060");
    await page.locator("#rule-0-source").fill("192.168.0.0/24");
    await dialog().getByRole("button", { name: "Save rules" }).click();
    await row("192.168.0.0/24").getByText("5050 - 5060").waitFor();
    await page.getByRole("tab", { name: "Outbound rules" }).click();
    await row("0.0.0.0/0").getByText("All traffic").waitFor();
    await checks.shot("security-group-outbound");
    await page.getByRole("tab", { name: "Inbound rules" }).click();
    await row("10.0.0.0/16").getByRole("checkbox").check();
    await page.getByRole("button", { name: "Delete rules" }).click();
    await row("10.0.0.0/16").waitFor({ state: "detached" });
    const seen = boto3(`print(json.dumps(c("ec2").describe_security_groups(GroupIds=["${groupId}"])["SecurityGroups"][0]["IpPermissions"]))`);
    if (seen.length !== 1 || seen[0].FromPort !== 5050 || seen[0].ToPort !== 5060 || seen[0].IpRanges[0].CidrIp !== "192.168.0.0/24") throw new Error(JSON.stringify(seen));
  });

  await checks.run("delete_the_security_group_by_clicks", async () => {
    await nav("Security Groups");
    await row(groupId).getByRole("radio").check();
    await page.getByRole("button", { name: "Delete security group" }).click();
    await confirmDelete("delete");
    await page.getByText(`Security group ${groupId} has been deleted.`).waitFor();
    const left = boto3(`print(json.dumps(len(c("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": ["${SG}"]}])["SecurityGroups"])))`);
    if (left !== 0) throw new Error(`${left} groups left`);
  });

  await checks.run("create_and_delete_a_vpc_and_a_subnet_by_clicks", async () => {
    await nav("Your VPCs");
    await page.getByRole("button", { name: "Create VPC" }).click();
    await page.locator("#create-name").fill("console-e2e-vpc");
    await page.locator("#create-cidr").fill("10.77.0.0/16");
    await dialog().getByRole("button", { name: "Create VPC" }).click();
    await row("console-e2e-vpc").waitFor();
    const vpcId = (await row("console-e2e-vpc").getByRole("link").first().innerText()).trim();
    await row("console-e2e-vpc").getByRole("link", { name: vpcId }).click();
    await page.getByRole("heading", { name: `${vpcId} / console-e2e-vpc` }).waitFor();
    await checks.shot("vpc");
    await nav("Subnets");
    await page.getByRole("button", { name: "Create subnet" }).click();
    await choose(page.locator("#subnet-vpc"), new RegExp(vpcId));
    await page.locator("#create-name").fill("console-e2e-subnet");
    await page.locator("#create-cidr").fill("10.77.1.0/24");
    await dialog().getByRole("button", { name: "Create subnet" }).click();
    await row("console-e2e-subnet").getByText("10.77.1.0/24").waitFor();
    const seen = boto3(`print(json.dumps(c("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": ["${vpcId}"]}])["Subnets"]))`);
    if (seen.length !== 1 || seen[0].CidrBlock !== "10.77.1.0/24") throw new Error(JSON.stringify(seen));
    const subnetId = seen[0].SubnetId;
    await row("console-e2e-subnet").getByRole("link", { name: subnetId }).click();
    await page.getByRole("heading", { name: `${subnetId} / console-e2e-subnet` }).waitFor();
    await checks.shot("subnet");
    await nav("Subnets");
    await row(subnetId).getByRole("radio").check();
    await page.getByRole("button", { name: "Delete subnet" }).click();
    await confirmDelete("delete");
    await row(subnetId).waitFor({ state: "detached" });
    await nav("Your VPCs");
    await row(vpcId).getByRole("radio").check();
    await page.getByRole("button", { name: "Delete VPC" }).click();
    await confirmDelete("delete");
    await row(vpcId).waitFor({ state: "detached" });
    const left = boto3(`print(json.dumps(len(c("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.77.0.0/16"]}])["Vpcs"])))`);
    if (left !== 0) throw new Error(`${left} VPCs left`);
  });

  await checks.run("add_edit_and_delete_a_listener_rule_by_clicks", async () => {
    await nav("Load balancers");
    await page.getByRole("link", { name: lbName }).click();
    await page.getByRole("link", { name: `HTTP:${lbPort}` }).click();
    await page.getByRole("heading", { name: `Listener HTTP:${lbPort}` }).waitFor();
    await page.getByRole("button", { name: "Add rule" }).click();
    await page.locator("#rule-priority").fill("10");
    await page.locator("#rule-paths").fill("/api/*, /v2/*");
    await choose(page.locator("#rule-target-group"), new RegExp(tgName));
    await checks.shot("add-listener-rule");
    await dialog().getByRole("button", { name: "Add rule" }).click();
    await row("/api/*").getByText("10", { exact: true }).waitFor();
    await row("/api/*").getByRole("radio").check();
    await page.getByRole("button", { name: "Edit rule" }).click();
    await page.locator("#rule-priority").fill("25");
    await page.locator("#rule-hosts").fill("api.example.com");
    await dialog().getByRole("button", { name: "Save changes" }).click();
    await row("api.example.com").getByText("25", { exact: true }).waitFor();
    await checks.shot("listener-rules");
    const rules = boto3(`lb = c("elbv2").describe_load_balancers(Names=["${lbName}"])["LoadBalancers"][0]
l = c("elbv2").describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
print(json.dumps([r for r in c("elbv2").describe_rules(ListenerArn=l["ListenerArn"])["Rules"] if not r["IsDefault"]]))`);
    const r = rules[0];
    const fields = Object.fromEntries(r.Conditions.map((c) => [c.Field, c.Values ?? c.PathPatternConfig?.Values ?? c.HostHeaderConfig?.Values]));
    if (rules.length !== 1 || r.Priority !== "25" || JSON.stringify(fields["path-pattern"]) !== '["/api/*","/v2/*"]' || fields["host-header"][0] !== "api.example.com" || !r.Actions[0].TargetGroupArn.includes(`/${tgName}/`)) {
      throw new Error(JSON.stringify(rules));
    }
    await row("api.example.com").getByRole("radio").check();
    await page.getByRole("button", { name: "Delete rule" }).click();
    await confirmDelete("confirm");
    await row("api.example.com").waitFor({ state: "detached" });
  });

  await checks.run("a_metric_graph_renders_its_datapoints", async () => {
    await nav("Metrics");
    await page.getByRole("link", { name: namespace }).click();
    await page.getByRole("link", { name: "Requests" }).click();
    const chart = page.locator('[data-testid="metric-chart"]');
    await chart.waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="metric-chart"]')?.getAttribute("data-points")) >= 3);
    const dots = await chart.locator("circle.datapoint").count();
    if (dots < 3) throw new Error(`${dots} datapoints drawn`);
    await checks.shot("metric-graph");
  });

  await checks.run("create_and_delete_an_alarm_by_clicks", async () => {
    await nav("Alarms");
    await page.getByRole("button", { name: "Create alarm" }).click();
    await page.locator("#alarm-name").fill(ALARM);
    await page.locator("#alarm-namespace").fill(namespace);
    await page.locator("#alarm-metric").fill("Requests");
    await page.locator("#alarm-dimensions").fill("Service=web");
    await page.locator("#alarm-threshold").fill("1000");
    await dialog().getByRole("button", { name: "Create alarm" }).click();
    await row(ALARM).getByText("Requests > 1000 for 1 datapoint within 1 minute").waitFor();
    await row(ALARM).getByText(/OK|Insufficient data|In alarm/).waitFor();
    const alarm = boto3(`print(json.dumps(c("cloudwatch").describe_alarms(AlarmNames=["${ALARM}"])["MetricAlarms"][0], default=str))`);
    if (alarm.Threshold !== 1000 || alarm.Namespace !== namespace || alarm.Dimensions[0].Value !== "web") throw new Error(JSON.stringify(alarm));
    await checks.shot("alarms");
    await row(ALARM).getByRole("radio").check();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await confirmDelete("delete");
    await row(ALARM).waitFor({ state: "detached" });
  });

  await checks.run("a_services_auto_scaling_is_shown", async () => {
    await page.goto(`${endpoint}/console/#/ecs/clusters/console-e2e-cluster/services/console-e2e-svc?tab=autoscaling`);
    await page.getByText("Minimum number of tasks").waitFor();
    await page.getByText("Target tracking: ECSServiceAverageCPUUtilization at 50").waitFor();
    await row("console-e2e-night").getByText("cron(0 22 * * ? *)").waitFor();
    const max = page.getByText("Maximum number of tasks").locator("xpath=..");
    if (!(await max.innerText()).includes("6")) throw new Error(await max.innerText());
    await checks.shot("service-auto-scaling");
  });

  await checks.run("a_log_groups_kms_key_and_metric_filters_are_shown", async () => {
    await page.goto(`${endpoint}/console/#/logs/log-groups/${encodeURIComponent("/console-e2e/sealed")}`);
    await page.getByText(env.LOG_KEY).waitFor();
    const filters = page.getByText("Metric filters", { exact: true }).locator("xpath=..");
    if ((await filters.innerText()).trim().split(/\s+/).pop() !== "1") throw new Error(await filters.innerText());
    await checks.shot("log-group-kms");
  });

  await checks.run("a_user_whose_password_must_change_chooses_a_new_one", async () => {
    // A tab of its own: another browser session, signed out.
    const other = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    other.setDefaultTimeout(15000);
    await other.goto(`${endpoint}/console/`);
    await other.locator("#iam-user-name").fill(env.RESET_USER);
    await other.locator("#password").fill(password);
    await other.locator("#account-id").fill(env.ACCOUNT_ALIAS);
    await other.getByRole("button", { name: "Sign in" }).click();
    await other.getByRole("heading", { name: "Change password" }).waitFor();
    await other.locator("#new-password").fill(env.NEW_PASSWORD);
    await other.locator("#confirm-password").fill(env.NEW_PASSWORD);
    await other.getByRole("button", { name: "Confirm password change" }).click();
    await other.getByRole("heading", { name: /^Clusters/ }).waitFor();
    await other.getByRole("button", { name: env.RESET_USER }).waitFor();
    await other.screenshot({ path: `${artifacts}/new-password-signed-in.png` });
    const profile = boto3(`print(json.dumps(c("iam").get_login_profile(UserName="${env.RESET_USER}")["LoginProfile"], default=str))`);
    if (profile.PasswordResetRequired !== false) throw new Error(JSON.stringify(profile));
    await other.context().close();
  });

  await checks.run("the_new_pages_open_without_errors", async () => {
    if (pageErrors.length) throw new Error(`errors in the page: ${pageErrors.join("; ")}`);
  });
} finally {
  // What a failed check may have left behind (the test's own server is stopped after).
  if (groupId) {
    try {
      boto3(`
try: c("ec2").delete_security_group(GroupId="${groupId}")
except Exception: pass
print("null")`);
    } catch {}
  }
  await browser.close();
}
process.exit(checks.failed ? 1 : 0);
