// Swagger UI as a user drives it: the operation blocks a document should
// give, and "Try it out" → "Execute" on one of them.

import type { Locator, Page } from "playwright-core";

import { parseJson } from "./harness.js";

interface Operation {
  operationId?: string;
  tags?: string[];
}
export type Document = { paths: Record<string, Record<string, Operation>> };

export function isDocument(value: unknown): value is Document {
  return typeof value === "object" && value !== null && "paths" in value && typeof value.paths === "object";
}

/** `operations-<tag>-<operationId>`: the element id Swagger UI gives each operation block. */
export function blockIds(...documents: Document[]): string[] {
  const ids: string[] = [];
  for (const document of documents) {
    for (const methods of Object.values(document.paths)) {
      for (const operation of Object.values(methods)) {
        ids.push(`operations-${operation.tags?.[0] ?? "default"}-${operation.operationId ?? "?"}`);
      }
    }
  }
  return ids.sort();
}

/** The ids of the operation blocks the page shows, sorted. */
export async function shownBlockIds(page: Page): Promise<string[]> {
  await page.locator(".opblock").first().waitFor();
  return (await page.locator(".opblock").evaluateAll((blocks) => blocks.map((block) => block.id))).sort();
}

export interface Shown {
  /** The HTTP status shown. */
  status: string;
  /** The body shown, parsed (undefined if it is not JSON). */
  body: unknown;
  /** The response headers shown, as text. */
  headers: string;
  /** The curl line Swagger UI shows for the request it sent. */
  curl: string;
}

/** Expands an operation, presses "Try it out", lets `fill` set the inputs, executes, returns the shown answer. */
export async function tryItOut(page: Page, id: string, fill: (block: Locator) => Promise<void>): Promise<Shown> {
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
