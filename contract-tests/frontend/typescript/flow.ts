// The sign-up and password-reset flow through a client typed by openapi-typescript.
//
// `generated/api.d.ts` comes from the committed openapi/openapi.json
// (`npm run generate:ts`); openapi-fetch types every call and answer from it.
// This file is compiled by `tsc --strict` with no cast and no `any`, so it
// only builds if the generated types describe these calls and answers; then
// it runs against a live server and checks that the answers really are what
// the types promise. Exit status 1 on any mismatch.
//
//   ACCOUNT_API_BASE_URL   the server (default http://127.0.0.1:5000)
//   ACCOUNT_API_DEMO_USERS 1 to also log in the users of `account-api demo`

import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api.js";

// ---- Compile-time checks: tsc fails here if the document changes these types.

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

type Json = "application/json; charset=utf-8";
type SendSmsAnswer = paths["/api/v4.0/sendsms/{mobile}"]["post"]["responses"][200]["content"][Json];
type RegisterAnswer = paths["/api/v4.0/register"]["post"]["responses"][200]["content"][Json];
type LoginAnswer = paths["/api/v4.0/login"]["post"]["responses"][200]["content"][Json];
type LoginGetAnswer = paths["/api/v4.0/login"]["get"]["responses"][200]["content"][Json];
type RegisterOk = Extract<RegisterAnswer, { code: 200 }>;
type LoginOk = Extract<LoginAnswer, { code: 200 }>;
type ApplyDetails = components["schemas"]["ApplyDetails"];

export type TypeChecks = [
  // sendsms's code is a string (the original's "200"); numbers would fail here.
  Expect<Equal<SendSmsAnswer["code"], "200" | "-1" | "400" | "429">>,
  // sendsms has no data.
  Expect<Equal<keyof SendSmsAnswer, "code" | "msg">>,
  // login's enterprise_id is a string, register's a number.
  Expect<Equal<LoginOk["data"]["enterprise_id"], string>>,
  Expect<Equal<RegisterOk["data"]["enterprise_id"], number>>,
  // The envelope is a union that narrows on code: data is "" unless code is 200.
  Expect<Equal<LoginAnswer["code"], 200 | -1 | 400 | 429>>,
  Expect<Equal<Exclude<LoginAnswer, { code: 200 }>["data"], "">>,
  Expect<Equal<LoginGetAnswer, LoginAnswer>>,
  // apply is {} or the three fields, apply_state a string.
  Expect<Equal<ApplyDetails["apply_state"], "-1" | "0" | "1">>,
  Expect<Equal<ApplyDetails["apply_eid"], number>>,
  Expect<Equal<LoginOk["data"]["pemissions"], string[]>>,
];

// ---- Runtime checks against the live server.

const baseUrl = process.env.ACCOUNT_API_BASE_URL ?? "http://127.0.0.1:5000";
const client = createClient<paths>({ baseUrl });
const HEX32 = /^[0-9a-f]{32}$/;

let failures = 0;
function check(condition: boolean, what: string): void {
  if (!condition) failures += 1;
  console.log(`${condition ? "ok  " : "FAIL"} ${what}`);
}

function isEmptyObject(value: object): boolean {
  return Object.keys(value).length === 0;
}

/** The HTTP status and request id every answer carries. */
function transport(step: string, response: Response): void {
  const id = response.headers.get("x-request-id") ?? "";
  check(response.status === 200, `${step}: HTTP ${response.status}`);
  check(id.length > 0, `${step}: X-Request-Id ${id}`);
}

// A phone in the unallocated 109 range, new on every run.
const phone = `109${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
const firstPassword = "first-pw1";
const secondPassword = "second-pw2";

async function signUpAndReset(): Promise<void> {
  console.log(`flow for ${phone} against ${baseUrl}`);

  // sendsms (POST, JSON body): the code is the string "200" and there is no data.
  {
    const { data, response } = await client.POST("/api/v4.0/sendsms/{mobile}", {
      params: { path: { mobile: phone } },
      body: { expect: 0 },
    });
    transport("sendsms", response);
    check(data !== undefined && typeof data.code === "string" && data.code === "200", `sendsms: code "200" (a string): ${JSON.stringify(data)}`);
    check(data !== undefined && !("data" in data) && data.msg === "发送成功", "sendsms: msg 发送成功, no data");
  }

  // isregister (GET): not registered yet.
  {
    const { data, response } = await client.GET("/api/v4.0/isregister/{phone}", {
      params: { path: { phone }, query: { expect: 0 } },
    });
    transport("isregister", response);
    check(data !== undefined && data.code === 200 && data.msg === "手机号未注册" && data.data === "", `isregister expect=0: 200 手机号未注册: ${JSON.stringify(data)}`);
  }

  // register (POST, JSON body): enterprise_id is the number -1, apply is {}.
  let registerToken = "";
  let userId = "";
  {
    const { data, response } = await client.POST("/api/v4.0/register", {
      body: { phone, name: "前端 flow", password: firstPassword, device_identifier: "ts-phone-1", code: "123456" },
    });
    transport("register", response);
    if (data === undefined || data.code !== 200) {
      check(false, `register: code 200: ${JSON.stringify(data)}`);
      return;
    }
    const account = data.data;
    check(data.msg === "注册成功", "register: msg 注册成功");
    check(typeof account.enterprise_id === "number" && account.enterprise_id === -1, `register: enterprise_id is the number -1 (${JSON.stringify(account.enterprise_id)})`);
    check(HEX32.test(account.token) && HEX32.test(account.user_id), "register: token and user_id are 32 hex characters");
    check(account.name === "前端 flow" && account.change_device === false, "register: name and change_device false");
    check(Array.isArray(account.pemissions) && account.pemissions.length === 0, "register: pemissions []");
    check(isEmptyObject(account.apply), "register: apply {}");
    registerToken = account.token;
    userId = account.user_id;
  }

  // isregister (GET): now registered.
  {
    const { data } = await client.GET("/api/v4.0/isregister/{phone}", {
      params: { path: { phone }, query: { expect: 1 } },
    });
    check(data !== undefined && data.code === 200 && data.msg === "手机号已注册", `isregister expect=1: 200 手机号已注册: ${JSON.stringify(data)}`);
  }

  // login (POST, form body, as the apps send it) from another device.
  {
    const { data, response } = await client.POST("/api/v4.0/login", {
      body: { phone, password: firstPassword, device_identifier: "ts-phone-2" },
      bodySerializer: (body) => new URLSearchParams(body),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    transport("login (form)", response);
    if (data === undefined || data.code !== 200) {
      check(false, `login: code 200: ${JSON.stringify(data)}`);
      return;
    }
    const account = data.data;
    check(typeof account.enterprise_id === "string" && account.enterprise_id === "-1", `login: enterprise_id is the string "-1" (${JSON.stringify(account.enterprise_id)})`);
    check(account.user_id === userId && HEX32.test(account.token) && account.token !== registerToken, "login: same user, a new token");
    check(account.change_device === true, "login: change_device true on a new device");
    check(isEmptyObject(account.apply), "login: apply {} (never applied)");
  }

  // login (GET) with a wrong password: the failure envelope, data "".
  {
    const { data } = await client.GET("/api/v4.0/login", {
      params: { query: { phone, password: "wrong-pw9", device_identifier: "ts-phone-2" } },
    });
    check(data !== undefined && data.code === -1 && data.data === "" && data.msg === "手机号或密码错误", `login wrong password: -1 手机号或密码错误: ${JSON.stringify(data)}`);
  }

  // Password reset: sendsms expect=1, verify_code, forget_password. The
  // sign-up code went to this phone moments ago, so a server with the default
  // limit (one code a minute per phone) answers 429 with Retry-After: wait as
  // it says, once, as an app's "resend in N s" button does.
  {
    const send = () =>
      client.GET("/api/v4.0/sendsms/{mobile}", {
        params: { path: { mobile: phone }, query: { expect: 1 } },
      });
    let { data, response } = await send();
    if (data?.code === "429") {
      const wait = Number(response.headers.get("retry-after"));
      check(Number.isInteger(wait) && wait >= 1 && wait <= 60, `sendsms expect=1: 429 carries Retry-After of 1-60 s (${response.headers.get("retry-after")})`);
      console.log(`      sendsms expect=1: 429, waiting ${wait} s as Retry-After says`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(wait, 1), 60) * 1000));
      ({ data, response } = await send());
    }
    check(data !== undefined && data.code === "200", `sendsms expect=1: "200": ${JSON.stringify(data)}`);
  }
  {
    const { data, response } = await client.GET("/api/v4.0/verify_code", {
      params: { query: { phone, code: "000000" } },
    });
    transport("verify_code", response);
    check(data !== undefined && data.code === 200 && data.msg === "验证码正确", `verify_code: 200 验证码正确 (verification off): ${JSON.stringify(data)}`);
  }
  {
    const { data, response } = await client.POST("/api/v4.0/forget_password", {
      body: { phone, password: secondPassword },
    });
    transport("forget_password", response);
    check(data !== undefined && data.code === 200 && data.msg === "修改成功" && data.data === "", `forget_password: 200 修改成功: ${JSON.stringify(data)}`);
  }
  {
    const old = await client.POST("/api/v4.0/login", {
      body: { phone, password: firstPassword, device_identifier: "ts-phone-2" },
    });
    check(old.data !== undefined && old.data.code === -1, "login with the old password: -1");
    const fresh = await client.POST("/api/v4.0/login", {
      body: { phone, password: secondPassword, device_identifier: "ts-phone-2" },
    });
    check(fresh.data !== undefined && fresh.data.code === 200 && fresh.data.data.change_device === false, "login with the new password: 200, same device");
  }
}

/** The demo users of `account-api demo`: apply in every state. */
async function demoUsers(): Promise<void> {
  const expected: Array<[string, components["schemas"]["ApplyState"] | "none"]> = [
    ["13900000001", "none"],
    ["13900000002", "0"],
    ["13900000003", "1"],
    ["13900000004", "-1"],
  ];
  for (const [demoPhone, state] of expected) {
    const { data } = await client.POST("/api/v4.0/login", {
      body: { phone: demoPhone, password: "demo123456", device_identifier: "ts-demo" },
    });
    if (data === undefined || data.code !== 200) {
      check(false, `demo ${demoPhone}: login 200: ${JSON.stringify(data)}`);
      continue;
    }
    const { apply, enterprise_id, pemissions } = data.data;
    if ("apply_state" in apply) {
      check(state !== "none" && apply.apply_state === state && typeof apply.apply_eid === "number" && typeof apply.apply_name === "string",
        `demo ${demoPhone}: apply_state "${apply.apply_state}" (a string) for enterprise ${apply.apply_eid} ${apply.apply_name}`);
    } else {
      check(state === "none" && isEmptyObject(apply), `demo ${demoPhone}: apply {}`);
    }
    check(typeof enterprise_id === "string" && pemissions.every((p) => typeof p === "string"), `demo ${demoPhone}: enterprise_id "${enterprise_id}", pemissions ${JSON.stringify(pemissions)}`);
    if (state === "1") {
      check(enterprise_id !== "-1" && pemissions.length > 0, `demo ${demoPhone}: a member with permissions`);
    }
  }
}

await signUpAndReset();
if (process.env.ACCOUNT_API_DEMO_USERS === "1") await demoUsers();
console.log(failures === 0 ? "typescript flow: all checks passed" : `typescript flow: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
