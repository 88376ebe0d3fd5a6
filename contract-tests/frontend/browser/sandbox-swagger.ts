// The sandbox's Swagger UI in a real browser: Debian's Chromium driven by
// playwright-core.
//
// Against `account-api sandbox`:
// - it serves openapi/openapi.json at /openapi.json and openapi/sandbox.json
//   at /sandbox/openapi.json, as committed;
// - /swagger lists one operation block per operationId of both documents,
//   the sandbox's under the tag `sandbox` beside the API's;
// - "Try it out" on sandboxClockAdvance (POST, a JSON body with seconds 60)
//   shows the server's real answer: code 200 and an offset_seconds of 60 or
//   more, which GET /sandbox/clock then reports too;
// - "Try it out" on sandboxSms (GET) shows the real inbox: the code this
//   script just had sent, the same JSON a direct request gets;
// - every answer shown carries an x-request-id header;
// - the page reaches nothing but the sandbox (other requests are aborted and
//   fail the test).
// Screenshots go to target/frontend/swagger-sandbox*.png. Exit status 1 on
// any failure.
//
//   ACCOUNT_API_SANDBOX_URL  the sandbox (default http://127.0.0.1:5000)
//   CHROMIUM                 the browser (default /usr/bin/chromium)

import { readFileSync } from "node:fs";
import { join } from "node:path";

import { artifacts, check, confine, field, repository, run, withChromium } from "./harness.js";
import { blockIds, type Document, isDocument, shownBlockIds, tryItOut } from "./swagger-ui.js";

const sandboxUrl = process.env.ACCOUNT_API_SANDBOX_URL ?? "http://127.0.0.1:5000";

function committed(name: string): Document {
  const document: unknown = JSON.parse(readFileSync(join(repository, "openapi", name), "utf8"));
  if (!isDocument(document)) throw new Error(`openapi/${name} has no paths`);
  return document;
}

async function get(path: string): Promise<unknown> {
  return (await fetch(`${sandboxUrl}${path}`)).json();
}

function offsetSeconds(clock: unknown): number {
  const offset = field(clock, "data", "offset_seconds");
  return typeof offset === "number" ? offset : Number.NaN;
}

async function main(): Promise<void> {
  const api = committed("openapi.json");
  const sandbox = committed("sandbox.json");
  const documents: [string, Document][] = [
    ["/openapi.json", api],
    ["/sandbox/openapi.json", sandbox],
  ];
  for (const [path, document] of documents) {
    const served = await get(path);
    check(isDocument(served) && JSON.stringify(blockIds(served)) === JSON.stringify(blockIds(document)), `the sandbox serves ${path} with the committed document's ${blockIds(document).length} operations`);
  }
  const expectedIds = blockIds(api, sandbox);

  // Something in the inbox: a sign-up code for a new phone.
  const phone = `136${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
  const sent = await get(`/api/v4.0/sendsms/${phone}`);
  check(field(sent, "code") === "200", `sendsms ${phone} (to fill the inbox): ${JSON.stringify(sent)}`);
  const clockBefore = offsetSeconds(await get("/sandbox/clock"));

  const server = new URL(sandboxUrl);
  let elsewhere: string[] = [];
  await withChromium(async (context) => {
    elsewhere = await confine(context, [server.host]);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${sandboxUrl}/swagger`);
    const shownIds = await shownBlockIds(page);
    check(JSON.stringify(shownIds) === JSON.stringify(expectedIds), `Swagger UI lists ${shownIds.length} operations, one per operationId of openapi.json and sandbox.json (${expectedIds.length})`);
    const sandboxBlocks = shownIds.filter((id) => id.startsWith("operations-sandbox-"));
    check(
      sandboxBlocks.includes("operations-sandbox-sandboxSms") && sandboxBlocks.includes("operations-sandbox-sandboxClockAdvance") && shownIds.includes("operations-Account-login"),
      `the sandbox's ${sandboxBlocks.length} operations (tag sandbox: ${sandboxBlocks.map((id) => id.replace("operations-sandbox-", "")).join(", ")}) are listed beside the API's`,
    );
    await page.screenshot({ path: join(artifacts, "swagger-sandbox-operations.png"), fullPage: true });

    // POST /sandbox/clock/advance with a JSON body.
    const advance = await tryItOut(page, "operations-sandbox-sandboxClockAdvance", async (block) => {
      await block.locator(".body-param-content-type select").selectOption("application/json");
      await block.locator("textarea.body-param__text").fill('{"seconds": 60}');
    });
    const shownOffset = offsetSeconds(advance.body);
    check(advance.status === "200", `sandboxClockAdvance: Swagger UI shows HTTP ${advance.status}`);
    check(advance.curl.includes("application/json") && advance.curl.includes('"seconds": 60'), "sandboxClockAdvance: Swagger UI sent the JSON body (its curl line)");
    check(field(advance.body, "code") === 200 && shownOffset >= 60 && shownOffset >= clockBefore + 60, `sandboxClockAdvance: code 200 and offset_seconds ${shownOffset} (was ${clockBefore}) shown: ${JSON.stringify(advance.body)}`);
    check(/x-request-id/i.test(advance.headers), "sandboxClockAdvance: the answer shows an x-request-id header");
    const clockAfter = offsetSeconds(await get("/sandbox/clock"));
    check(clockAfter >= shownOffset, `sandboxClockAdvance: GET /sandbox/clock reports offset_seconds ${clockAfter}: the server's real answer`);
    await page.locator("#operations-sandbox-sandboxClockAdvance").screenshot({ path: join(artifacts, "swagger-sandbox-clock-advance.png") });

    // GET /sandbox/sms.
    const inbox = await tryItOut(page, "operations-sandbox-sandboxSms", async () => {});
    const direct = await get("/sandbox/sms");
    const latest = await get(`/sandbox/sms/${phone}/latest`);
    check(inbox.status === "200", `sandboxSms: Swagger UI shows HTTP ${inbox.status}`);
    check(field(inbox.body, "code") === 200 && JSON.stringify(inbox.body) === JSON.stringify(direct), "sandboxSms: Swagger UI shows the inbox a direct request gets");
    const newest = field(inbox.body, "data", "messages", "0");
    check(field(newest, "phone") === phone && field(newest, "code") === field(latest, "data", "code") && field(newest, "purpose") === "sign_up", `sandboxSms: the newest message shown is the code sent to ${phone}: ${JSON.stringify(newest)}`);
    check(/x-request-id/i.test(inbox.headers), "sandboxSms: the answer shows an x-request-id header");
    await page.locator("#operations-sandbox-sandboxSms").screenshot({ path: join(artifacts, "swagger-sandbox-sms.png") });
    await page.screenshot({ path: join(artifacts, "swagger-sandbox.png"), fullPage: true });
    console.log(`screenshots in ${artifacts}: swagger-sandbox.png, swagger-sandbox-operations.png, swagger-sandbox-clock-advance.png, swagger-sandbox-sms.png`);
  });
  check(elsewhere.length === 0, `the page requested nothing but ${server.host}${elsewhere.length ? `: ${elsewhere.join(", ")}` : ""}`);
}

await run("sandbox swagger ui", main);
