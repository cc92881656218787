// Run the add-in's real scripts, as the server serves them, against fake globals.
import vm from "node:vm";
import { JSDOM } from "jsdom";

import { browserFetch, getText } from "./server.mjs";
import { fakeLocalStorage } from "./office.mjs";

/** Run the served custom-functions script in a fresh global scope. `globals` may hold Office,
 * Excel, CustomFunctions, localStorage, fetch; a recording fetch against `base` by default. */
export async function loadCustomFunctions(base, globals = {}, { code = null } = {}) {
  const source = code ?? (await getText(base, "/xlwings/custom-functions-code.js"));
  const scope = {
    console,
    setTimeout,
    clearTimeout,
    crypto: globalThis.crypto,
    fetch: browserFetch(base),
    localStorage: fakeLocalStorage(),
    ...globals,
  };
  vm.runInNewContext(source, scope, { filename: "custom-functions-code.js" });
  return scope;
}

/** The task pane page in jsdom with its scripts inlined where the server's page loads them:
 * Office.js (here: the fakes in `globals`), the custom functions (shared runtime) and
 * taskpane.js. Resolves once the page has loaded (DOMContentLoaded handlers ran). */
export async function loadTaskpane(base, globals = {}, { office = true, storage = {}, entra = false } = {}) {
  let html = await getText(base, office ? "/taskpane.html?office=1" : "/taskpane.html");
  if (entra) {
    html = html.replace('data-entra="false"', 'data-entra="true"'); // as a server with Entra ID on serves it
  }
  const taskpane = await getText(base, "/static/taskpane.js");
  const functions = await getText(base, "/xlwings/custom-functions-code.js");
  const inline = (code) => "<script>" + code.replace(/<\/script/gi, "<\\/script") + "</script>";
  const scripts = [];
  html = html.replace(/<script src="([^"]+)"[^>]*><\/script>/g, (tag, src) => {
    scripts.push(src);
    if (src === "/static/taskpane.js") {
      return inline(taskpane);
    }
    if (src === "/xlwings/custom-functions-code.js") {
      return inline(functions);
    }
    return ""; // Office.js itself: the fakes stand in for it
  });
  const fetchLike = globals.fetch || browserFetch(base);
  const dom = new JSDOM(html, {
    url: base + (office ? "/taskpane.html?office=1" : "/taskpane.html"),
    runScripts: "dangerously",
    pretendToBeVisual: true,
    beforeParse(window) {
      window.fetch = fetchLike;
      for (const [name, value] of Object.entries(globals)) {
        if (name !== "fetch" && name !== "localStorage") {
          window[name] = value;
        }
      }
      for (const [key, value] of Object.entries(storage)) {
        window.localStorage.setItem(key, value);
      }
    },
  });
  const { window } = dom;
  if (window.document.readyState === "loading") {
    await new Promise((resolve) => window.document.addEventListener("DOMContentLoaded", resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { dom, window, document: window.document, fetch: fetchLike, scripts, $: (id) => window.document.getElementById(id) };
}

/** Submit a form the way a browser does (a cancelable submit event). */
export function submit(window, form) {
  form.dispatchEvent(new window.Event("submit", { bubbles: true, cancelable: true }));
}
