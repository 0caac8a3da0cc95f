// Headless Chromium (Debian's, driven by puppeteer-core) with what every browser test watches:
// console errors, uncaught exceptions, and any request to another host than the gateway's.

import puppeteer from "puppeteer-core";

const LOCAL = new Set(["127.0.0.1", "localhost", "[::1]"]);

export async function launch() {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run"], // the tests may run as root
  });
}

// A page in a fresh context (no storage from another page); what it reports goes into `seen`
// ({consoleErrors: [], external: []}).
export async function watchedPage(browser, seen) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on("console", (message) => {
    if (message.type() === "error") seen.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => seen.consoleErrors.push(String(error)));
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["data:", "blob:"].includes(url.protocol) && !LOCAL.has(url.hostname)) {
      seen.external.push(request.url());
    }
  });
  return page;
}

export function runMain(main, timeoutMs = 60_000) {
  for (const method of ["log", "info", "debug", "warn"]) console[method] = console.error;
  setTimeout(() => {
    console.error(`timed out after ${timeoutMs} ms`);
    process.exit(1);
  }, timeoutMs).unref();
  main(JSON.parse(process.argv[2])).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
