// Swagger UI in a real browser: Debian's Chromium driven by playwright-core.
//
// Against a live server (with the users of `account-api demo` loaded):
// - /swagger lists one operation block per operationId of the committed
//   openapi/openapi.json, no more, no fewer;
// - "Try it out" on isregister (GET, path and query parameters) shows the
//   server's real answer: the same JSON a direct request gets;
// - "Try it out" on login (POST) with the form media type shows the real
//   answer too: a token that /me accepts for the same user;
// - every answer shown carries an x-request-id header;
// - the page reaches nothing but the server (other requests are aborted and
//   fail the test).
// Screenshots go to target/frontend/. Exit status 1 on any failure.
//
//   ACCOUNT_API_BASE_URL  the server (default http://127.0.0.1:5000)
//   CHROMIUM              the browser (default /usr/bin/chromium)

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Locator, type Page } from "playwright-core";

const baseUrl = process.env.ACCOUNT_API_BASE_URL ?? "http://127.0.0.1:5000";
const repository = fileURLToPath(new URL("../../../../", import.meta.url));
const artifacts = join(repository, "target", "frontend");
mkdirSync(artifacts, { recursive: true });

let failures = 0;
function check(condition: boolean, what: string): void {
  if (!condition) failures += 1;
  console.log(`${condition ? "ok  " : "FAIL"} ${what}`);
}

interface Operation {
  operationId?: string;
  tags?: string[];
}
type Document = { paths: Record<string, Record<string, Operation>> };

function isDocument(value: unknown): value is Document {
  return typeof value === "object" && value !== null && "paths" in value && typeof value.paths === "object";
}

/** `operations-<tag>-<operationId>`: the element id Swagger UI gives each operation block. */
function blockIds(document: Document): string[] {
  const ids: string[] = [];
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods)) {
      ids.push(`operations-${operation.tags?.[0] ?? "default"}-${operation.operationId ?? "?"}`);
    }
  }
  return ids.sort();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null || !(key in current)) return undefined;
    current = Object.getOwnPropertyDescriptor(current, key)?.value;
  }
  return current;
}

/** Expands an operation, presses "Try it out", lets `fill` set the inputs, executes, returns the shown answer. */
async function tryItOut(page: Page, id: string, fill: (block: Locator) => Promise<void>): Promise<{ status: string; body: unknown; headers: string; curl: string }> {
  const block = page.locator(`#${id}`);
  await block.locator(".opblock-summary-control").click();
  await block.locator("button.try-out__btn").click();
  await fill(block);
  await block.locator("button.execute").click();
  const live = block.locator(".live-responses-table");
  await live.locator(".response-col_status").first().waitFor();
  const status = (await live.locator("tbody .response-col_status").first().innerText()).trim();
  const body = parseJson(await live.locator(".response-col_description .microlight").first().innerText());
  const headers = await live.locator("tbody .response-col_description").first().innerText();
  const curl = await block.locator(".curl-command").innerText();
  await block.scrollIntoViewIfNeeded();
  return { status, body, headers, curl };
}

async function main(): Promise<void> {
  const committed: unknown = JSON.parse(readFileSync(join(repository, "openapi", "openapi.json"), "utf8"));
  if (!isDocument(committed)) throw new Error("openapi/openapi.json has no paths");
  const expectedIds = blockIds(committed);
  const served: unknown = await (await fetch(`${baseUrl}/openapi.json`)).json();
  check(isDocument(served) && JSON.stringify(blockIds(served)) === JSON.stringify(expectedIds), `the server serves the committed document's ${expectedIds.length} operations`);

  const profile = mkdtempSync(join(tmpdir(), "swagger-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const server = new URL(baseUrl);
  const elsewhere: string[] = [];
  await context.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    if (url.host === server.host) return route.continue();
    elsewhere.push(url.href);
    return route.abort();
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${baseUrl}/swagger`);
    await page.locator(".opblock").first().waitFor();
    const shownIds = (await page.locator(".opblock").evaluateAll((blocks) => blocks.map((block) => block.id))).sort();
    check(JSON.stringify(shownIds) === JSON.stringify(expectedIds), `Swagger UI lists ${shownIds.length} operations, one per operationId of the document (${expectedIds.length})`);
    await page.screenshot({ path: join(artifacts, "swagger-operations.png"), fullPage: true });

    // isregister: a demo user's phone with expect=0 is "already registered".
    const isregister = await tryItOut(page, "operations-Account-isregister", async (block) => {
      await block.locator('tr[data-param-name="phone"] input').fill("13900000001");
      await block.locator('tr[data-param-name="expect"] select').selectOption("0");
    });
    const direct: unknown = await (await fetch(`${baseUrl}/api/v4.0/isregister/13900000001?expect=0`)).json();
    check(isregister.status === "200", `isregister: Swagger UI shows HTTP ${isregister.status}`);
    check(JSON.stringify(isregister.body) === JSON.stringify(direct), `isregister: Swagger UI shows the server's answer ${JSON.stringify(isregister.body)} (direct: ${JSON.stringify(direct)})`);
    check(/x-request-id/i.test(isregister.headers), "isregister: the answer shows an x-request-id header");
    await page.locator("#operations-Account-isregister").screenshot({ path: join(artifacts, "swagger-isregister.png") });

    // login, POST as a form: the approved demo member.
    const login = await tryItOut(page, "operations-Account-login", async (block) => {
      await block.locator(".body-param-content-type select").selectOption("application/x-www-form-urlencoded");
      await block.locator('tr[data-property-name="phone"] input').fill("13900000003");
      await block.locator('tr[data-property-name="password"] input').fill("demo123456");
      await block.locator('tr[data-property-name="device_identifier"] input').fill("swagger-ui");
    });
    check(login.status === "200", `login: Swagger UI shows HTTP ${login.status}`);
    check(login.curl.includes("application/x-www-form-urlencoded") && login.curl.includes("phone=13900000003"), "login: Swagger UI sent a form (its curl line)");
    check(field(login.body, "code") === 200 && field(login.body, "msg") === "登录成功", `login: code 200 登录成功 shown`);
    check(field(login.body, "data", "enterprise_id") === "1" && field(login.body, "data", "apply", "apply_state") === "1", `login: enterprise_id "1" and apply_state "1" (strings) shown: ${JSON.stringify(field(login.body, "data"))}`);
    check(/x-request-id/i.test(login.headers), "login: the answer shows an x-request-id header");
    const token = field(login.body, "data", "token");
    const me: unknown = await (await fetch(`${baseUrl}/api/v4.0/me`, { headers: { Authorization: `Bearer ${typeof token === "string" ? token : ""}` } })).json();
    check(field(me, "code") === 200 && field(me, "data", "user_id") === field(login.body, "data", "user_id"), "login: the token shown is live (/me answers the same user): the server's real answer");
    await page.locator("#operations-Account-login").screenshot({ path: join(artifacts, "swagger-login.png") });
    await page.screenshot({ path: join(artifacts, "swagger.png"), fullPage: true });
    console.log(`screenshots in ${artifacts}: swagger.png, swagger-operations.png, swagger-isregister.png, swagger-login.png`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  check(elsewhere.length === 0, `the page requested nothing but ${server.host}${elsewhere.length ? `: ${elsewhere.join(", ")}` : ""}`);
}

try {
  await main();
} catch (error) {
  failures += 1;
  console.log(`FAIL ${error instanceof Error ? error.message : String(error)}`);
}
console.log(failures === 0 ? "swagger ui: all checks passed" : `swagger ui: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
