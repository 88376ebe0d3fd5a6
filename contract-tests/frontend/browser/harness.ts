// What the browser scripts share: checks that print `ok`/`FAIL` lines,
// Debian's Chromium launched as this machine needs it, JSON read without
// casts, and the exit status.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";

/** The repository's root (this file runs from contract-tests/frontend/dist/browser/). */
export const repository = fileURLToPath(new URL("../../../../", import.meta.url));
/** Where screenshots go: target/frontend/. */
export const artifacts = join(repository, "target", "frontend");
mkdirSync(artifacts, { recursive: true });

let failures = 0;

/** Prints `ok` or `FAIL` and `what`; a false `condition` fails the script. */
export function check(condition: boolean, what: string): void {
  if (!condition) failures += 1;
  console.log(`${condition ? "ok  " : "FAIL"} ${what}`);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `value.path[0].path[1]…`, or undefined where a step is missing. */
export function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null || !(key in current)) return undefined;
    current = Object.getOwnPropertyDescriptor(current, key)?.value;
  }
  return current;
}

/**
 * Runs `use` with headless Chromium in a new empty profile, with the flags
 * this machine needs (no sandbox as root; no background networking, which
 * the closed network refuses), then closes it and deletes the profile.
 */
export async function withChromium<T>(use: (context: BrowserContext) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), "frontend-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    return await use(context);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Lets the pages of `context` reach only `hosts` (host:port): any other
 * request is aborted and its address added to the list returned.
 */
export async function confine(context: BrowserContext, hosts: string[]): Promise<string[]> {
  const elsewhere: string[] = [];
  await context.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    if (hosts.includes(url.host)) return route.continue();
    elsewhere.push(url.href);
    return route.abort();
  });
  return elsewhere;
}

/** Runs `main`, counts a throw as a failure, prints the verdict and exits (1 on any failure). */
export async function run(name: string, main: () => Promise<void>): Promise<never> {
  try {
    await main();
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${error instanceof Error ? error.message : String(error)}`);
  }
  console.log(failures === 0 ? `${name}: all checks passed` : `${name}: ${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}
