// Strata's web pages in headless Chromium: log in, find a customer and read why it has its
// tier, filter the list by a rule and tag the result in bulk, add a user and change their role
// (and find both in the audit trail), create and publish a tier model, import through the
// wizard, switch language, log out, and a sales user sees a team mate's customer masked.
// Usage: node run.mjs path/to/strata   (screenshots go to target/browser-screenshots/)
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const bin = resolve(process.argv[2] ?? "target/debug/strata");
const shots = resolve("target/browser-screenshots");
mkdirSync(shots, { recursive: true });
const data = mkdtempSync(join(tmpdir(), "strata-browser-"));
const run = (...args) => execFileSync(bin, ["--data-dir", data, ...args], { encoding: "utf8", env: { ...process.env, STRATA_LANG: "en" } });
const SALES_PASSWORD = "春眠不觉晓处处闻啼鸟";

function fail(message) {
  throw new Error(message);
}

async function startServer() {
  const server = spawn(bin, ["--data-dir", data, "demo", "--size", "400", "--until", "2024-12-31", "--bind", "127.0.0.1:0"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, STRATA_LANG: "en" },
  });
  let log = "";
  const url = await new Promise((ok, bad) => {
    const timer = setTimeout(() => bad(new Error(`the server did not start:\n${log}`)), 120_000);
    server.stderr.on("data", (chunk) => {
      log += chunk;
      const m = log.match(/running at (http:\/\/[0-9.:]+)\//);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    server.on("exit", (code) => bad(new Error(`the server exited (${code}):\n${log}`)));
  });
  return { server, url };
}

const { server, url } = await startServer();
const adminPassword = readFileSync(join(data, "admin-password.txt"), "utf8").trim();
execFileSync(bin, ["--data-dir", data, "user", "passwd", "wangwei"], { input: `${SALES_PASSWORD}\n` });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const logIn = async (login, password) => {
    await page.goto(`${url}/customers`);
    if (!page.url().includes("/login")) fail(`not sent to the login page: ${page.url()}`);
    await page.fill("#login", login);
    await page.fill("#password", password);
    await Promise.all([page.waitForURL(/\/customers/), page.click("#submit")]);
  };

  // A wrong password is refused with a message, in Chinese.
  await page.goto(`${url}/login`);
  await page.fill("#login", "admin");
  await page.fill("#password", "not the password");
  await page.click("#submit");
  const error = await page.textContent("#login-error");
  if (!error?.includes("用户名或密码错误")) fail(`no login error: ${error}`);
  await page.screenshot({ path: join(shots, "login.png") });

  await logIn("admin", adminPassword);
  const total = await page.textContent("#total");
  if (!total?.includes("400")) fail(`the list does not count 400 customers: ${total}`);
  await page.screenshot({ path: join(shots, "customers.png"), fullPage: true });

  // The dashboard draws its charts.
  await page.goto(`${url}/dashboard`);
  await page.waitForSelector('#dist-1[data-drawn="1"] canvas');
  await page.waitForSelector('#pareto[data-drawn="1"] canvas');
  await page.waitForSelector('#months[data-drawn="1"] canvas');
  await page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
  await page.goto(`${url}/customers`);

  // Find a customer and read the explanation of its tier.
  const firstName = (await page.textContent("#customer-list tbody tr td a"))?.trim() ?? fail("no customer in the list");
  await page.fill("#q", firstName);
  await Promise.all([page.waitForURL(/q=/), page.click("#filter")]);
  await Promise.all([page.waitForURL(/\/customers\/\d+/), page.click(`#customer-list a:text("${firstName}")`)]);
  const heading = await page.textContent("#customer-name");
  if (heading?.trim() !== firstName) fail(`opened ${heading}, not ${firstName}`);
  const rfm = page.locator('#tiers .model[data-model="rfm"]');
  if ((await rfm.count()) !== 1) fail("the RFM model is not on the customer page");
  const why = await rfm.locator(".why").textContent();
  if (!why?.includes("R/F/M")) fail(`no RFM explanation: ${why}`);
  await page.waitForSelector('.history-chart[data-drawn="1"] canvas');
  const completeness = (await page.textContent("#completeness"))?.trim() ?? "";
  if (!/^\d+%/.test(completeness)) fail(`no completeness on the customer page: ${completeness}`);
  await page.screenshot({ path: join(shots, "customer.png"), fullPage: true });

  // The least complete customers first, each at most three quarters complete.
  await page.goto(`${url}/customers`);
  await page.selectOption("#completeness-max", "75");
  await page.selectOption("select[name=sort]", "completeness");
  await Promise.all([page.waitForURL(/completeness_max=75/), page.click("#filter")]);
  const shares = await page.locator("#customer-list td.completeness").allTextContents();
  const values = shares.map((t) => parseInt(t, 10));
  if (values.length === 0 || values.some((v) => !(v <= 75)) || values.some((v, i) => i > 0 && v < values[i - 1])) fail(`completeness filter/sort: ${shares}`);

  // A condition in the rule language: a typo is explained on the page, a good one filters.
  await page.goto(`${url}/customers`);
  await page.fill("#where", "count(oders) >= 3");
  await Promise.all([page.waitForURL(/where=/), page.click("#filter")]);
  const whereError = (await page.textContent("#filter-error")) ?? "";
  if (!whereError.includes("orders") || !whereError.includes("是不是")) fail(`the where typo is not explained in Chinese: ${whereError}`);
  await page.fill("#where", "count(orders) >= 3");
  await Promise.all([page.waitForURL(/where=count/), page.click("#filter")]);
  const filtered = parseInt(((await page.textContent("#total")) ?? "").replace(/\D+/g, ""), 10);
  if (!(filtered > 0 && filtered < 400)) fail(`the where filter kept ${filtered} customers`);
  await page.screenshot({ path: join(shots, "customers-where.png"), fullPage: true });

  // Bulk: tag every customer on the page, then find them by the tag.
  await page.check("#select-all");
  const picked = await page.locator("input.pick:checked").count();
  await page.fill("#bulk-add-tag", "浏览器批量");
  await Promise.all([page.waitForURL(/where=count/), page.waitForEvent("load"), page.click("#bulk-apply")]);
  await page.goto(`${url}/customers?tag=${encodeURIComponent("浏览器批量")}`);
  if (!(await page.textContent("#total"))?.includes(`共 ${picked} 个客户`)) fail(`the bulk tag did not reach ${picked} customers`);
  if ((await page.getAttribute("#export", "href"))?.includes("tag=") !== true) fail("the export link does not carry the filter");
  // …and every customer the condition selects, beyond this page.
  await page.goto(`${url}/customers?where=${encodeURIComponent("count(orders) >= 3")}`);
  await page.check("#select-all");
  await page.check("#bulk-all");
  await page.fill("#bulk-add-tag", "全部符合");
  await Promise.all([page.waitForEvent("load"), page.click("#bulk-apply")]);
  await page.goto(`${url}/customers?tag=${encodeURIComponent("全部符合")}`);
  if (!(await page.textContent("#total"))?.includes(`共 ${filtered} 个客户`)) fail(`the bulk tag did not reach all ${filtered} matching customers`);

  // A new customer that looks like an existing one is created with a warning; then edited.
  await page.goto(`${url}/customers`);
  const known = (await page.textContent("#customer-list tbody tr td a"))?.trim() ?? fail("no customer to imitate");
  await page.click("#new-customer-link");
  await page.fill("#new-name", known);
  await page.click("#create-customer");
  await page.waitForSelector("#created:not([hidden]) #duplicates li");
  const lookAlike = (await page.textContent("#duplicates")) ?? "";
  if (!lookAlike.includes(known) || !lookAlike.includes("疑似与")) fail(`the look-alike is not named in Chinese: ${lookAlike}`);
  await page.screenshot({ path: join(shots, "customer-new-duplicate.png") });
  await Promise.all([page.waitForURL(/\/customers\/\d+$/), page.click("#open-new")]);
  await page.click("#edit summary");
  // A wrong phone is refused in Chinese, and nothing changes.
  await page.fill('#edit-customer input[name="phone"]', "12345");
  await page.click("#save-customer");
  await page.waitForFunction(() => document.querySelector("#edit-error")?.textContent);
  const refused = await page.textContent("#edit-error");
  if (!refused?.includes("不是电话号码")) fail(`the wrong phone is not refused in Chinese: ${refused}`);
  await page.fill('#edit-customer input[name="phone"]', "");
  await page.fill('#edit-customer input[name="city"]', "佛山市");
  await page.fill('#edit-customer input[name="tags"]', "新建测试、浏览器");
  await Promise.all([page.waitForEvent("load"), page.click("#save-customer")]);
  const profile = (await page.textContent("#profile")) ?? "";
  if (!profile.includes("佛山市") || !profile.includes("新建测试")) fail(`the edit did not stick: ${profile}`);
  if ((await page.title()) !== `${known} · Strata`) fail(`the page title: ${await page.title()}`);

  // The dashboard lists completeness per owner.
  await page.goto(`${url}/dashboard`);
  if ((await page.locator("#completeness-by-owner tbody tr").count()) < 2) fail("no completeness per owner on the dashboard");

  // Administration: add a user, change their role, and find both in the audit trail.
  await page.click("#nav-admin");
  await page.waitForSelector("#users");
  await page.fill('#add-user input[name="login"]', "zhaoliu");
  await page.fill('#add-user input[name="display_name"]', "赵六");
  await page.selectOption('#add-user select[name="role"]', "analyst");
  await page.fill('#add-user input[name="password"]', "秋风萧瑟天气凉草木摇落");
  await Promise.all([page.waitForEvent("load"), page.click("#add-user-button")]);
  const newRow = page.locator('#users tr[data-login="zhaoliu"]');
  if ((await newRow.count()) !== 1) fail("the new user is not listed");
  await newRow.locator(".u-role").selectOption("service");
  await newRow.locator(".u-save").click();
  await newRow.locator(".u-done", { hasText: "已保存" }).waitFor();
  // The same login again is refused, in Chinese, naming the login.
  await page.fill('#add-user input[name="login"]', "zhaoliu");
  await page.fill('#add-user input[name="display_name"]', "赵六");
  await page.fill('#add-user input[name="password"]', "秋风萧瑟天气凉草木摇落");
  await page.click("#add-user-button");
  await page.waitForFunction(() => document.querySelector("#user-error")?.textContent);
  const taken = (await page.textContent("#user-error")) ?? "";
  if (taken !== "用户 `zhaoliu` 已存在") fail(`a taken login is not refused in Chinese: ${taken}`);
  await page.fill('#add-user input[name="login"]', "");
  await page.fill('#add-user input[name="display_name"]', "");
  await page.fill('#add-user input[name="password"]', "");
  await page.screenshot({ path: join(shots, "admin-users.png"), fullPage: true });
  await page.click("#admin-roles");
  await page.waitForSelector('form.role-rules[data-role="sales"]');
  // Take exports away from analysts, see the role marked as changed, then reset it.
  const analyst = page.locator('form.role-rules[data-role="analyst"]');
  await analyst.locator('input[name="action:export"]').uncheck();
  await Promise.all([page.waitForEvent("load"), analyst.locator(".save-rules").click()]);
  if ((await page.locator('form.role-rules[data-role="analyst"] .tag').count()) !== 1) fail("the changed role is not marked");
  if (await page.locator('form.role-rules[data-role="analyst"] input[name="action:export"]').isChecked()) fail("the change did not stick");
  await page.screenshot({ path: join(shots, "admin-roles.png"), fullPage: true });
  await Promise.all([page.waitForEvent("load"), page.locator('form.role-rules[data-role="analyst"] .reset-rules').click()]);
  if ((await page.locator('form.role-rules[data-role="analyst"] .tag').count()) !== 0) fail("the reset role is still marked");
  await page.click("#admin-audit");
  await page.fill("#audit-action", "user.");
  await Promise.all([page.waitForURL(/action=user/), page.click("#audit-filter")]);
  const actions = await page.locator("#audit td.action").allTextContents();
  if (!actions.includes("修改用户角色") || !actions.includes("新建用户")) fail(`the audit trail lacks the user changes: ${actions}`);
  await page.fill("#audit-action", "permissions.change");
  await Promise.all([page.waitForURL(/action=permissions/), page.click("#audit-filter")]);
  if ((await page.locator("#audit td.action").count()) !== 2) fail("the rule change and reset are not both audited");
  await page.screenshot({ path: join(shots, "admin-audit.png"), fullPage: true });

  // Create a tier model: a typo is caught as it is typed, the preview shows the migration
  // matrix, and publishing re-tiers every customer.
  await page.goto(`${url}/models/new`);
  await page.waitForSelector(".check-ok");
  const good = await page.inputValue("#spec");
  // Completion while typing: a few letters, Enter inserts the function with an example.
  await page.focus("#spec");
  await page.keyboard.press("Control+End");
  await page.keyboard.type("\n# days_si");
  await page.waitForSelector(".completions li.on");
  await page.screenshot({ path: join(shots, "model-completion.png") });
  await page.keyboard.press("Enter");
  if (!(await page.inputValue("#spec")).includes("# days_since(last order)")) fail("completion did not insert days_since(last order)");
  await page.fill("#spec", good.replace("sum(orders.amount", "sum(orders.amout"));
  await page.waitForSelector(".model-error");
  const typo = await page.textContent("#check");
  if (!typo?.includes("amount")) fail(`the typo is not explained: ${typo}`);
  if (!typo?.includes("没有字段 `amout`") || !typo.includes("是不是 `amount`？") || !typo.includes("第 1 行第 12 列")) fail(`the typo is not explained in Chinese: ${typo}`);
  await page.screenshot({ path: join(shots, "model-error.png") });
  await page.fill("#spec", good);
  await page.waitForSelector(".check-ok");
  await page.click("#preview");
  await page.waitForSelector("#migration");
  const rows = await page.locator("#migration tr").count();
  if (rows < 2) fail("the preview has no migration matrix");
  await page.click("#publish");
  await page.waitForSelector(".published");
  await page.goto(`${url}/models`);
  const listed = await page.textContent("#model-list");
  if (!listed?.includes("价值分层") || !listed.includes("v1")) fail(`the new model is not listed as published: ${listed}`);
  await page.screenshot({ path: join(shots, "models.png") });

  // Import through the wizard: one row is rejected; mapping its column to "ignore" clears it;
  // the import is committed, then undone.
  const csv = join(data, "wizard.csv");
  writeFileSync(csv, "客户编号,客户名称,手机,省份,备注\nW001,浏览器导入测试有限公司,13800138111,广东省,x\nW002,第二家导入测试公司,12345,浙江省,y\n");
  await page.goto(`${url}/imports/new`);
  await page.setInputFiles("#file", csv);
  await page.click("#check-file");
  await page.waitForSelector("#rejections tbody tr");
  const rejected = await page.textContent("#rejections");
  if (!rejected?.includes("12345")) fail(`the bad phone is not reported: ${rejected}`);
  if (!rejected?.includes("不是电话号码")) fail(`the reason is not in Chinese: ${rejected}`);
  if (!(await page.isDisabled("#commit"))) fail("an import with rejected rows can be committed");
  await page.screenshot({ path: join(shots, "import-check.png"), fullPage: true });
  await page.selectOption('select[data-header="手机"]', "ignore");
  await page.click("#recheck");
  await page.waitForFunction(() => !document.querySelector("#commit").disabled);
  if (await page.isVisible("#rejections")) fail("the table of rejected rows stays when none are rejected");
  await page.click("#commit");
  await page.waitForSelector(".imported");
  const countOf = async (q) => {
    const tab = await page.context().newPage();
    await tab.goto(`${url}/customers?q=${encodeURIComponent(q)}`);
    const total = await tab.textContent("#total");
    await tab.close();
    return total;
  };
  if (!(await countOf("导入测试"))?.includes("共 2 个客户")) fail("the imported customers are not listed");
  await page.screenshot({ path: join(shots, "import-done.png"), fullPage: true });
  await page.click("#undo");
  await page.waitForSelector(".undone");
  if (!(await countOf("导入测试"))?.includes("共 0 个客户")) fail("the undone import left customers behind");

  // On a phone: the list, a customer and the dashboard fit the screen's width.
  const handset = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
    storageState: await context.storageState() });
  const small = await handset.newPage();
  for (const [path, shot] of [["/customers", "phone-customers.png"], ["/dashboard", "phone-dashboard.png"]]) {
    await small.goto(`${url}${path}`);
    const [wide, screen] = await small.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    if (wide > screen + 1) fail(`${path} is ${wide}px wide on a ${screen}px phone screen`);
    await small.screenshot({ path: join(shots, shot), fullPage: true });
  }
  const firstLink = small.locator("#customer-list tbody tr td a").first();
  await small.goto(`${url}/customers`);
  await Promise.all([small.waitForURL(/\/customers\/\d+/), firstLink.click()]);
  const [wide, screen] = await small.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (wide > screen + 1) fail(`the customer page is ${wide}px wide on a ${screen}px phone screen`);
  await small.screenshot({ path: join(shots, "phone-customer.png"), fullPage: true });
  await handset.close();

  // Switch language: the page speaks English, and keeps speaking it.
  await Promise.all([page.waitForLoadState("load"), page.click("#lang-switch")]);
  if (!(await page.textContent("header"))?.includes("Log out")) fail("the header did not switch to English");
  await page.goto(`${url}/customers`);
  if (!/\d+ customers/.test((await page.textContent("#total")) ?? "")) fail("English was not remembered");
  await page.screenshot({ path: join(shots, "customers-en.png") });
  await page.click("#lang-switch");
  await Promise.all([page.waitForURL(/\/login/), page.click("#logout")]);

  // A sales user: a team mate's customer shows its phone masked.
  await logIn("wangwei", SALES_PASSWORD);
  const masked = page.locator("#customer-list td.phone", { hasText: "****" });
  if ((await masked.count()) === 0) fail("no masked phone in the sales user's list");
  const row = masked.first().locator("xpath=..");
  await Promise.all([page.waitForURL(/\/customers\/\d+/), row.locator("a").first().click()]);
  const phone = (await page.textContent("#phone")) ?? "";
  if (!/\*{4}/.test(phone)) fail(`the phone is not masked on the customer page: ${phone}`);
  // A long history: the 30 most recent records, the earlier ones folded away.
  if ((await page.locator("#timeline tbody tr").count()) > 30) fail("the timeline shows more than 30 records before folding");
  if (await page.locator("#earlier-records").count()) {
    const summary = (await page.textContent("#earlier-records summary")) ?? "";
    if (!/^更早的 \d+ 条记录$/.test(summary.trim())) fail(`the earlier records' summary: ${summary}`);
  }
  await page.screenshot({ path: join(shots, "customer-sales-masked.png"), fullPage: true });
  console.log(`browser suite passed (${url}); screenshots in ${shots}`);
} catch (e) {
  failed = true;
  console.error(`browser suite failed: ${e.stack ?? e}`);
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
process.exit(failed ? 1 : 0);
