// Drives Debian's headless chromium through the dashboard and prints what it saw as JSON.
//
//   node browse.mjs flow   '{"base": ..., "key": ..., "artifacts": ..., "workflow": ...}'
//   node browse.mjs timing '{"base": ..., "key": ..., "paths": [...], "repeats": 5}'
//
// `flow` signs in, reads the ranking, filters, exports CSV, clicks a workflow and reads its
// tables, and takes screenshots; `timing` measures how long each page takes to be usable.
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
  "--no-first-run", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--disable-dev-shm-usage"];

async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "p402-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true, args: FLAGS, acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  // Nothing leaves 127.0.0.1: any other request is refused before it is sent.
  await context.route(/^(?!https?:\/\/127\.0\.0\.1[:/]).*/, (route) => route.abort());
  return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

async function tableRows(page, id) {
  return page.$$eval(`#${id}`, (tables) => {
    if (!tables.length) return null;
    const table = tables[0];
    const heads = Array.from(table.tHead.rows[0].cells).map((c) => c.textContent.trim());
    const rows = Array.from(table.tBodies).filter((b) => !b.hidden)
      .flatMap((b) => Array.from(b.rows)).filter((r) => !r.hasAttribute("data-skip") && !r.hidden);
    return rows.map((r) => Object.fromEntries(Array.from(r.cells).map((c, i) => [heads[i], {
      value: c.getAttribute("data-value"), text: c.textContent.trim(), title: c.getAttribute("title"),
    }])));
  });
}

async function ready(page) {
  await page.waitForSelector("html[data-ready]", { timeout: 30000 });
}

async function signIn(page, base, key, path) {
  await page.goto(base + path);
  await page.fill("#key", key);
  await Promise.all([page.waitForNavigation(), page.press("#key", "Enter")]);
  await page.waitForSelector("html[data-ready]", { timeout: 30000 });
}

async function flow(args) {
  const { context, close } = await launch();
  const out = {};
  try {
    const page = await context.newPage();
    const shot = (name, full = true) =>
      page.screenshot({ path: join(args.artifacts, name), fullPage: full });

    // No credentials: the sign-in page, and no figure.
    const anonymous = await page.goto(args.base + "/dashboard/optimize?window=30d");
    out.anonymous = { status: anonymous.status(), url: page.url(), html: await page.content() };
    await shot("01-login.png");

    // A wrong key is refused; the right one signs in and lands on the ranking.
    await page.fill("#key", "not-the-key");
    await Promise.all([page.waitForNavigation(), page.press("#key", "Enter")]);
    out.wrongKey = { url: page.url(), alert: await page.textContent("[role=alert]") };
    await page.fill("#key", args.key);
    await Promise.all([page.waitForNavigation(), page.press("#key", "Enter")]);
    await ready(page);
    out.signedIn = { url: page.url() };
    out.cookies = (await context.cookies()).map((c) => ({
      name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, expires: c.expires,
    }));
    out.ranking = await tableRows(page, "ranking");
    out.chart = await page.$$eval("svg.chart", (s) => s.map((e) => e.getAttribute("aria-label")));
    await shot("02-optimize.png");
    if (args.readme) await page.screenshot({ path: args.readme, fullPage: false });

    // Keyboard: the first Tab reaches the skip link; the filter narrows the table.
    await page.keyboard.press("Tab");
    out.firstFocus = await page.evaluate(() => document.activeElement.textContent);
    await page.focus("#ranking-filter");
    await page.keyboard.type(args.workflow);
    out.filtered = await tableRows(page, "ranking");
    const [download] = await Promise.all([page.waitForEvent("download"),
      page.click("text=Export CSV >> nth=0")]);
    out.csv = readFileSync(await download.path(), "utf8");
    out.csvName = download.suggestedFilename();
    await page.fill("#ranking-filter", "");
    await page.selectOption("#ranking-group", { label: "Trend" });
    out.grouped = await page.$$eval("#ranking tbody.grouped tr", (rows) => rows.length);
    await page.selectOption("#ranking-group", "");

    // Click through to the workflow.
    await Promise.all([page.waitForNavigation(),
      page.click(`#ranking a:text-is("${args.workflow}")`)]);
    await ready(page);
    out.workflow = { url: page.url(), models: await tableRows(page, "models"),
      calls: await tableRows(page, "calls"), context: await tableRows(page, "context"),
      groups: await page.$$eval("#calls tr.group th", (t) => t.map((e) => e.textContent)) };
    await shot("03-workflow.png");
    await Promise.all([page.waitForNavigation(), page.click("text=Query the same rows in SQL")]);
    out.sql = await page.$$eval("pre code", (c) => c.map((e) => e.textContent));
    await shot("04-sql.png");

    await page.goto(args.base + "/dashboard?window=30d&group_by=model");
    await ready(page);
    out.overview = { spend: await tableRows(page, "spend"), budgets: await tableRows(page, "budgets"),
      unpriced: await tableRows(page, "unpriced") };
    await shot("05-spend.png");

    // Phone width: nothing but the tables' own scroll areas is wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(args.base + "/dashboard/optimize?window=30d");
    await ready(page);
    out.phone = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth,
      width: window.innerWidth }));
    await shot("06-optimize-phone.png");

    // Signing out drops the session.
    await page.setViewportSize({ width: 1280, height: 900 });
    await Promise.all([page.waitForNavigation(), page.click("text=Sign out")]);
    await page.goto(args.base + "/dashboard/optimize?window=30d");
    out.afterSignOut = { url: page.url(), html: await page.content() };
  } finally {
    await close();
  }
  return out;
}

async function timing(args) {
  const { context, close } = await launch();
  const out = [];
  try {
    const page = await context.newPage();
    // Sign in to the sign-in page itself, so that the first timed run of a page is cold.
    await signIn(page, args.base, args.key, "/dashboard/login?next=%2Fdashboard%2Flogin");
    for (const path of args.paths) {
      for (let n = 0; n < (args.repeats || 3); n += 1) {
        const started = Date.now();
        await page.goto(args.base + path, { timeout: 600000 });
        await ready(page);
        const usable = Date.now() - started;
        const nav = await page.evaluate(() => {
          const e = performance.getEntriesByType("navigation")[0];
          return { ttfb: e.responseStart, interactive: e.domInteractive,
            loaded: e.loadEventEnd, bytes: e.transferSize };
        });
        out.push({ path, run: n + 1, usable_ms: usable, ...nav });
      }
    }
  } finally {
    await close();
  }
  return out;
}

const [mode, json] = process.argv.slice(2);
const run = { flow, timing }[mode];
if (!run) {
  console.error("usage: node browse.mjs flow|timing '<json>'");
  process.exit(2);
}
run(JSON.parse(json)).then((result) => {
  process.stdout.write(JSON.stringify(result) + "\n");
}, (error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
