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

import { readFileSync } from "node:fs";
import { join } from "node:path";

import { artifacts, check, confine, field, repository, run, withChromium } from "./harness.js";
import { blockIds, isDocument, shownBlockIds, tryItOut } from "./swagger-ui.js";

const baseUrl = process.env.ACCOUNT_API_BASE_URL ?? "http://127.0.0.1:5000";

async function main(): Promise<void> {
  const committed: unknown = JSON.parse(readFileSync(join(repository, "openapi", "openapi.json"), "utf8"));
  if (!isDocument(committed)) throw new Error("openapi/openapi.json has no paths");
  const expectedIds = blockIds(committed);
  const served: unknown = await (await fetch(`${baseUrl}/openapi.json`)).json();
  check(isDocument(served) && JSON.stringify(blockIds(served)) === JSON.stringify(expectedIds), `the server serves the committed document's ${expectedIds.length} operations`);

  const server = new URL(baseUrl);
  let elsewhere: string[] = [];
  await withChromium(async (context) => {
    elsewhere = await confine(context, [server.host]);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${baseUrl}/swagger`);
    const shownIds = await shownBlockIds(page);
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
  });
  check(elsewhere.length === 0, `the page requested nothing but ${server.host}${elsewhere.length ? `: ${elsewhere.join(", ")}` : ""}`);
}

await run("swagger ui", main);
