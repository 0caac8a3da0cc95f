// GraphiQL as a newcomer opens it, in headless Chromium: the page from `url`, until its schema
// request has been answered and its tabs are drawn; then a share link (`share`: a URL) in a
// fresh context. Driven by tests/integration/test_browser_graphiql.py.
//
//   node graphiql.mjs '{"url": ..., "share": ..., "screenshot": "graphiql.png"}'
//
// Stdout: {"tour": {tabs, editors, schemaStatus}, "share": {tabs, editors}, "consoleErrors",
// "external"} where `editors` are the texts of the active tab's editors (query, variables,
// headers).

import { launch, runMain, watchedPage } from "./browser.mjs";

async function open(browser, url, seen) {
  const page = await watchedPage(browser, seen);
  const schema = page.waitForResponse(
    (response) =>
      response.request().method() === "POST" &&
      (response.request().postData() ?? "").includes("IntrospectionQuery"),
  );
  await page.goto(url);
  const schemaStatus = (await schema).status();
  await page.waitForSelector(".graphiql-query-editor .CodeMirror");
  const state = await page.evaluate(() => ({
    tabs: [...document.querySelectorAll(".graphiql-tab-button")].map((b) => b.textContent.trim()),
    editors: [...document.querySelectorAll(".CodeMirror")].map((e) => e.CodeMirror.getValue()),
  }));
  return { page, state: { ...state, schemaStatus } };
}

runMain(async (options) => {
  const browser = await launch();
  const seen = { consoleErrors: [], external: [] };
  try {
    const tour = await open(browser, options.url, seen);
    if (options.screenshot) await tour.page.screenshot({ path: options.screenshot });
    const share = await open(browser, options.share, seen);
    return { tour: tour.state, share: share.state, ...seen };
  } finally {
    await browser.close();
  }
});
