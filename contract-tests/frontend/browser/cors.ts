// CORS in a real browser: Debian's Chromium (playwright-core) loads a page
// from another origin than the sandbox's and calls the API with the page's
// own `fetch`, as a frontend team's web app does.
//
// Against `account-api sandbox` (CORS for http://localhost:* and
// http://127.0.0.1:* by default; SMS codes in its inbox). This script serves
// one small page itself, on two loopback addresses:
// - http://127.0.0.1:<port>, an origin the sandbox allows: sendsms, the code
//   from /sandbox/sms/{phone}/latest, register and login with JSON bodies (a
//   preflight each), login with a form body; five wrong passwords, the
//   lockout, /sandbox/clock/advance past it, and a reset with the inbox's
//   password_reset code (verify_code, forget_password); the page reads every answer,
//   the exposed X-Request-Id and Retry-After, and not a header the server
//   does not expose (Date);
// - http://127.0.0.2:<port>, an origin it does not allow: the same calls
//   reject (TypeError: Failed to fetch) though the server did answer (the
//   code is in the inbox, /metrics counted the login), because the answers
//   carry no Access-Control-Allow-Origin; a JSON body's preflight is refused,
//   so that request is never sent.
// Screenshots of both pages go to target/frontend/cors-*.png. Exit status 1
// on any failure.
//
//   ACCOUNT_API_SANDBOX_URL  the sandbox (default http://127.0.0.1:5000)
//   CHROMIUM                 the browser (default /usr/bin/chromium)

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

import type { Page } from "playwright-core";

import { artifacts, check, field, run, withChromium } from "./harness.js";

const sandboxUrl = process.env.ACCOUNT_API_SANDBOX_URL ?? "http://127.0.0.1:5000";
const api = `${sandboxUrl}/api/v4.0`;
/** An address the sandbox's default origins (http://127.0.0.1:*, http://localhost:*) do not match. */
const REFUSED_HOST = "127.0.0.2";
const HEX32 = /^[0-9a-f]{32}$/;

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>account-api CORS check</title><link rel="icon" href="data:,"></head>
<body style="font-family: sans-serif">
<h1>account-api from another origin</h1>
<p>This page's origin: <code id="origin"></code>; the API: <code id="api"></code></p>
<pre id="log" style="white-space: pre-wrap"></pre>
<script>document.getElementById("origin").textContent = location.origin;</script>
</body>
</html>
`;

/** Serves PAGE at / on `host`, on a free port; resolves to the page's origin. */
async function servePage(host: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    if (request.method === "GET" && (request.url === "/" || request.url === "/index.html")) {
      response.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
      response.end(PAGE);
    } else {
      response.writeHead(404, { "Content-Type": "text/plain" });
      response.end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const address: string | AddressInfo | null = server.address();
  if (address === null || typeof address === "string") throw new Error(`no port for ${host}`);
  return { server, origin: `http://${host}:${address.port}` };
}

interface Call {
  url: string;
  method: "GET" | "POST";
  /** A JSON body (Content-Type application/json: not a "simple" request, so the browser sends a preflight first). */
  json?: Record<string, string | number>;
  /** A form body (application/x-www-form-urlencoded: a "simple" request, sent without a preflight). */
  form?: Record<string, string>;
}

type Outcome =
  | { read: true; status: number; body: unknown; requestId: string | null; retryAfter: string | null; date: string | null }
  | { read: false; name: string; message: string };

/**
 * Runs in the page (serialized by Playwright, so it uses nothing from this
 * module): the page's own fetch, and what the page can read of the answer.
 */
async function callFromPage(call: Call): Promise<Outcome> {
  const init: RequestInit = { method: call.method };
  if (call.json !== undefined) {
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(call.json);
  } else if (call.form !== undefined) {
    init.body = new URLSearchParams(call.form);
  }
  const log = document.getElementById("log");
  const kind = call.json !== undefined ? " (JSON body)" : call.form !== undefined ? " (form body)" : "";
  try {
    const response = await fetch(call.url, init);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    const outcome: Outcome = {
      read: true,
      status: response.status,
      body,
      requestId: response.headers.get("x-request-id"),
      retryAfter: response.headers.get("retry-after"),
      date: response.headers.get("date"),
    };
    log?.append(`${call.method} ${call.url}${kind}\n  → HTTP ${response.status}, X-Request-Id ${outcome.requestId ?? "(unreadable)"}: ${text}\n`);
    return outcome;
  } catch (error) {
    const name = error instanceof Error ? error.name : "?";
    const message = error instanceof Error ? error.message : String(error);
    log?.append(`${call.method} ${call.url}${kind}\n  → rejected: ${name}: ${message}\n`);
    return { read: false, name, message };
  }
}

async function fromPage(page: Page, call: Call): Promise<Outcome> {
  return page.evaluate(callFromPage, call);
}

function describe(outcome: Outcome): string {
  return outcome.read ? `HTTP ${outcome.status} ${JSON.stringify(outcome.body)}` : `${outcome.name}: ${outcome.message}`;
}

/** http_requests_total of the sandbox's /metrics, by `operation status`. */
async function requestCounts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const text = await (await fetch(`${sandboxUrl}/metrics`)).text();
  for (const match of text.matchAll(/^http_requests_total\{operation="([^"]+)",status="(\d+)"\} (\d+)$/gm)) {
    counts.set(`${match[1] ?? ""} ${match[2] ?? ""}`, Number(match[3]));
  }
  return counts;
}

function grew(before: Map<string, number>, after: Map<string, number>, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}

function newPhone(): string {
  return `137${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
}

async function openPage(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.locator("#api").evaluate((element, url) => {
    element.textContent = url;
  }, sandboxUrl);
  const shown = await page.evaluate(() => location.origin);
  check(shown === origin && shown !== new URL(sandboxUrl).origin, `the page's origin is ${shown}, not the sandbox's ${new URL(sandboxUrl).origin}`);
}

async function allowedOrigin(page: Page, origin: string): Promise<void> {
  console.log(`-- from ${origin} (allowed by the sandbox's http://127.0.0.1:*)`);
  await openPage(page, origin);
  const phone = newPhone();
  const password = "cors-page-1";

  const sent = await fromPage(page, { url: `${api}/sendsms/${phone}`, method: "POST", json: { expect: 0 } });
  check(sent.read && sent.status === 200 && field(sent.body, "code") === "200", `sendsms ${phone} (JSON): the page reads ${describe(sent)}`);
  check(sent.read && HEX32.test(sent.requestId ?? ""), `sendsms: the page reads the exposed X-Request-Id ${sent.read ? sent.requestId : ""}`);
  check(sent.read && sent.date === null, "sendsms: the page cannot read Date, which the server does not expose");
  // A second code within the minute: the sandbox keeps production's limits.
  const again = await fromPage(page, { url: `${api}/sendsms/${phone}`, method: "POST", json: { expect: 0 } });
  check(again.read && field(again.body, "code") === "429" && Number(again.retryAfter) > 0, `sendsms again within the minute: the page reads ${describe(again)} and the exposed Retry-After ${again.read ? String(again.retryAfter) : ""}`);

  const latest = await fromPage(page, { url: `${sandboxUrl}/sandbox/sms/${phone}/latest`, method: "GET" });
  const code = field(latest.read ? latest.body : undefined, "data", "code");
  check(latest.read && field(latest.body, "code") === 200 && typeof code === "string" && /^\d{6}$/.test(code) && field(latest.body, "data", "purpose") === "sign_up", `/sandbox/sms/${phone}/latest: the page reads the sign-up code: ${describe(latest)}`);

  const registered = await fromPage(page, {
    url: `${api}/register`,
    method: "POST",
    json: { phone, name: "跨域页面", password, device_identifier: "cors-page", code: typeof code === "string" ? code : "" },
  });
  const registeredBody = registered.read ? registered.body : undefined;
  check(registered.read && registered.status === 200 && field(registeredBody, "code") === 200 && field(registeredBody, "msg") === "注册成功", `register (JSON, the inbox's code): the page reads ${describe(registered)}`);
  const userId = field(registeredBody, "data", "user_id");
  check(HEX32.test(String(field(registeredBody, "data", "token"))) && typeof userId === "string" && HEX32.test(userId), "register: token and user_id are 32 hex characters");

  const login = await fromPage(page, { url: `${api}/login`, method: "POST", json: { phone, password, device_identifier: "cors-page" } });
  const loginBody = login.read ? login.body : undefined;
  check(login.read && login.status === 200 && field(loginBody, "code") === 200 && field(loginBody, "data", "user_id") === userId, `login (JSON): the page reads ${describe(login)}`);
  check(HEX32.test(String(field(loginBody, "data", "token"))), `login (JSON): a 32-hex token ${String(field(loginBody, "data", "token"))}`);
  check(login.read && HEX32.test(login.requestId ?? ""), `login (JSON): the page reads the exposed X-Request-Id ${login.read ? login.requestId : ""}`);

  const form = await fromPage(page, { url: `${api}/login`, method: "POST", form: { phone, password, device_identifier: "cors-page-form" } });
  const formBody = form.read ? form.body : undefined;
  check(form.read && form.status === 200 && field(formBody, "code") === 200 && field(formBody, "data", "user_id") === userId, `login (form): the page reads ${describe(form)}`);
  check(HEX32.test(String(field(formBody, "data", "token"))) && form.read && HEX32.test(form.requestId ?? ""), "login (form): a 32-hex token and a readable X-Request-Id");

  // Lockout, time travel and a reset, as an end-to-end test of a web app
  // drives them: five wrong passwords lock login; the page moves the
  // sandbox's clock past the lockout (a JSON POST, so a preflight) instead of
  // waiting 15 minutes; then the reset code from the inbox sets a new password.
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const wrong = await fromPage(page, { url: `${api}/login`, method: "POST", json: { phone, password: `wrong-${attempt}`, device_identifier: "cors-page" } });
    check(wrong.read && field(wrong.body, "code") === -1, `wrong password ${attempt}: the page reads ${describe(wrong)}`);
  }
  const locked = await fromPage(page, { url: `${api}/login`, method: "POST", json: { phone, password, device_identifier: "cors-page" } });
  check(locked.read && field(locked.body, "code") === 429 && Number(locked.retryAfter) > 0, `after five wrong passwords the right one is locked out: ${describe(locked)}, Retry-After ${locked.read ? String(locked.retryAfter) : ""}`);
  const advanced = await fromPage(page, { url: `${sandboxUrl}/sandbox/clock/advance`, method: "POST", json: { seconds: 15 * 60 + 1 } });
  check(advanced.read && field(advanced.body, "code") === 200, `/sandbox/clock/advance 901 s from the page: ${describe(advanced)}`);
  const unlocked = await fromPage(page, { url: `${api}/login`, method: "POST", json: { phone, password, device_identifier: "cors-page" } });
  check(unlocked.read && field(unlocked.body, "code") === 200, `login once the clock passed the lockout: ${describe(unlocked)}`);

  const resetSent = await fromPage(page, { url: `${api}/sendsms/${phone}`, method: "POST", json: { expect: 1 } });
  check(resetSent.read && field(resetSent.body, "code") === "200", `sendsms expect=1 (the clock passed the minute): ${describe(resetSent)}`);
  const resetLatest = await fromPage(page, { url: `${sandboxUrl}/sandbox/sms/${phone}/latest`, method: "GET" });
  const resetCode = field(resetLatest.read ? resetLatest.body : undefined, "data", "code");
  check(typeof resetCode === "string" && resetCode !== code && field(resetLatest.read ? resetLatest.body : undefined, "data", "purpose") === "password_reset", `the inbox holds the new password_reset code: ${describe(resetLatest)}`);
  const verified = await fromPage(page, { url: `${api}/verify_code?phone=${phone}&code=${typeof resetCode === "string" ? resetCode : ""}`, method: "GET" });
  check(verified.read && field(verified.body, "code") === 200, `verify_code with the inbox's reset code: ${describe(verified)}`);
  const newPassword = "cors-page-2";
  const reset = await fromPage(page, { url: `${api}/forget_password`, method: "POST", json: { phone, password: newPassword } });
  check(reset.read && field(reset.body, "code") === 200, `forget_password from the page that verified: ${describe(reset)}`);
  const oldRefused = await fromPage(page, { url: `${api}/login`, method: "POST", json: { phone, password, device_identifier: "cors-page" } });
  check(oldRefused.read && field(oldRefused.body, "code") === -1, `the old password no longer logs in: ${describe(oldRefused)}`);
  const newAccepted = await fromPage(page, { url: `${api}/login`, method: "POST", json: { phone, password: newPassword, device_identifier: "cors-page" } });
  check(newAccepted.read && field(newAccepted.body, "code") === 200 && field(newAccepted.body, "data", "user_id") === userId, `the new password logs in: ${describe(newAccepted)}`);
  await page.screenshot({ path: join(artifacts, "cors-allowed.png"), fullPage: true });
}

async function refusedOrigin(page: Page, origin: string, allowed: string): Promise<void> {
  console.log(`-- from ${origin} (matched by none of the sandbox's origins)`);
  await openPage(page, origin);
  const blocked: string[] = [];
  const failed: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && message.text().includes("blocked by CORS policy")) blocked.push(message.text());
  });
  page.on("requestfailed", (request) => {
    if (request.url().startsWith(sandboxUrl)) failed.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText ?? "?"}`);
  });
  const rejected = (outcome: Outcome): boolean => !outcome.read && outcome.name === "TypeError" && outcome.message === "Failed to fetch";

  // How the refusal is made: the server answers this origin without CORS headers.
  const direct = await fetch(`${api}/isregister/13900000001?expect=1`, { headers: { Origin: origin } });
  const directAllowed = await fetch(`${api}/isregister/13900000001?expect=1`, { headers: { Origin: allowed } });
  check(direct.status === 200 && direct.headers.get("access-control-allow-origin") === null && directAllowed.headers.get("access-control-allow-origin") === allowed, `the server answers Origin ${origin} HTTP ${direct.status} without Access-Control-Allow-Origin (${allowed}: ${String(directAllowed.headers.get("access-control-allow-origin"))})`);

  // A simple GET is sent and answered; the browser withholds the answer.
  const phone = newPhone();
  const sent = await fromPage(page, { url: `${api}/sendsms/${phone}`, method: "GET" });
  check(rejected(sent), `sendsms ${phone} (GET): the page's fetch rejects: ${describe(sent)}`);
  const inbox: unknown = await (await fetch(`${sandboxUrl}/sandbox/sms/${phone}/latest`)).json();
  check(field(inbox, "code") === 200 && field(inbox, "data", "phone") === phone, `sendsms (GET): yet the server handled it (its code is in the inbox: ${JSON.stringify(field(inbox, "data"))}): only the answer was kept from the page`);

  // A JSON body needs a preflight, which is refused: the POST is never sent.
  let before = await requestCounts();
  const json = await fromPage(page, { url: `${api}/login`, method: "POST", json: { phone: "13900000003", password: "demo123456", device_identifier: "cors-refused" } });
  let after = await requestCounts();
  check(rejected(json), `login (JSON): the page's fetch rejects: ${describe(json)}`);
  check(grew(before, after, "unknown 405") === 1 && grew(before, after, "login 200") === 0, `login (JSON): the server saw only the preflight (OPTIONS answered 405, no CORS headers) and no login (/metrics: login 200 +${grew(before, after, "login 200")}, 405 +${grew(before, after, "unknown 405")})`);

  // A form body is a simple request: sent and answered, the answer withheld.
  before = await requestCounts();
  const form = await fromPage(page, { url: `${api}/login`, method: "POST", form: { phone: "13900000003", password: "demo123456", device_identifier: "cors-refused" } });
  after = await requestCounts();
  check(rejected(form), `login (form): the page's fetch rejects: ${describe(form)}`);
  check(grew(before, after, "login 200") === 1, `login (form): yet the server answered it (/metrics: login 200 +${grew(before, after, "login 200")}); the page cannot read the token`);

  check(blocked.length === 3, `Chromium reports ${blocked.length} request(s) blocked by CORS policy (3 expected)${blocked.length > 0 ? `, e.g. "${blocked[0] ?? ""}"` : ""}`);
  check(failed.length === 3, `the page saw ${failed.length} failed request(s) to the sandbox: ${failed.join("; ")}`);
  await page.screenshot({ path: join(artifacts, "cors-refused.png"), fullPage: true });
}

async function main(): Promise<void> {
  const livez = await fetch(`${sandboxUrl}/livez`);
  check(livez.ok, `the sandbox answers at ${sandboxUrl}`);
  const allowed = await servePage("127.0.0.1");
  const refused = await servePage(REFUSED_HOST);
  console.log(`the page is served at ${allowed.origin}/ and ${refused.origin}/`);
  try {
    await withChromium(async (context) => {
      const page = context.pages()[0] ?? (await context.newPage());
      await allowedOrigin(page, allowed.origin);
      await refusedOrigin(await context.newPage(), refused.origin, allowed.origin);
    });
    console.log(`screenshots in ${artifacts}: cors-allowed.png, cors-refused.png`);
  } finally {
    allowed.server.close();
    refused.server.close();
  }
}

await run("cors", main);
