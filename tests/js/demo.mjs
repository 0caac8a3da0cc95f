// The demo page (/demo) in headless Chromium, driven by tests/integration/test_browser_demo.py.
//
//   node demo.mjs '{"url": ".../demo", "id": "o-123", "images": "docs/images"}'
//
// JSON lines on stdout, each with an "event":
//   shown     the order produced through the form is in the live list (with what it shows);
//             then it waits for "cut" on stdin (the test closes the page's WebSocket)
//   resumed   the page reconnected; a second order from the form is in the list: every order
//             listed, in order
//   invalid   an order with a bad email: the error shown next to the email field
// Then {"consoleErrors", "external"} as the "done" event.

import { createInterface } from "node:readline";

import { launch, runMain, watchedPage } from "./browser.mjs";

const emit = (event, body = {}) => process.stdout.write(`${JSON.stringify({ event, ...body })}\n`);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function submit(page, fields) {
  for (const [name, value] of Object.entries(fields)) {
    await page.$eval(`[name="${name}"]`, (input, text) => { input.value = text; }, value);
  }
  await page.click("#order-form button");
}

async function listed(page, id) {
  await page.waitForSelector(`#orders li[data-id="${id}"]`);
  return page.$eval(`#orders li[data-id="${id}"]`, (li) => ({
    text: li.textContent,
    masked: li.querySelector(".masked")?.textContent ?? null,
  }));
}

function orders(page) {
  return page.$$eval("#orders li", (items) =>
    items.map((li) => ({ id: li.dataset.id, position: li.dataset.position })).reverse(),
  );
}

runMain(async ({ url, id, images }) => {
  const browser = await launch();
  const seen = { consoleErrors: [], external: [] };
  try {
    const page = await watchedPage(browser, seen);
    await page.goto(url);
    await page.waitForSelector('#status[data-state="live"]');
    await submit(page, { id });
    emit("shown", { order: await listed(page, id) });
    await page.screenshot({ path: `${images}/demo.png`, fullPage: true });

    if ((await lines.next()).value !== "cut") throw new Error('stdin: expected "cut"');
    await page.waitForFunction(() => {
      const status = document.querySelector("#status");
      return Number(status.dataset.reconnects) > 0 && status.dataset.state === "live";
    });
    const second = `${id}-after`;
    await submit(page, { id: second });
    await listed(page, second);
    const reconnects = await page.$eval("#status", (s) => Number(s.dataset.reconnects));
    emit("resumed", { orders: await orders(page), reconnects });

    await submit(page, { id: `${id}-bad`, "customer.email": "not-an-email" });
    await page.waitForFunction(
      () => document.querySelector('.error[data-for="customer.email"]').textContent !== "",
    );
    const error = await page.$eval('.error[data-for="customer.email"]', (e) => e.textContent);
    const invalid = await page.$eval('[name="customer.email"]', (e) => e.getAttribute("aria-invalid"));
    await page.screenshot({ path: `${images}/demo-error.png`, fullPage: true });
    emit("invalid", { error, invalid });
    return { event: "done", ...seen };
  } finally {
    await browser.close();
  }
});
