// taskpane.js in jsdom: the real page and script from the server, fake Office.js globals, and
// every request answered by the real Python server (helpers/server.mjs).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { loadTaskpane, submit } from "./helpers/load.mjs";
import { fakeCustomFunctions, fakeExcel, fakeOffice, fakeWorkbook, waitFor } from "./helpers/office.mjs";
import { API_KEY, browserFetch, getText, serverUrl } from "./helpers/server.mjs";

const KEY = { cptAddinApiKey: API_KEY };
const CLAIMS = [
  ["Claim", "DOS", "CPT", "Modifiers", "Units"],
  ["C1", "2026-05-04", "43497", "", "1"],
  ["C1", "2026-05-04", "43235", "", "1"],
  ["C2", "2026-05-04", "=HYPERLINK(\"x\")", "", "1"],
];

function inExcel(workbook, host = "Excel") {
  return {
    Office: fakeOffice({ host, sets: { CustomFunctionsRuntime: "1.4" } }),
    CustomFunctions: fakeCustomFunctions(),
    Excel: fakeExcel(workbook.makeContext),
  };
}

const settled = (node) => node.textContent && !/…$/.test(node.textContent.trim());

describe("task pane", () => {
  let base;
  let health;
  before(async () => {
    base = await serverUrl();
    health = JSON.parse(await getText(base, "/health"));
  });

  it("outside Excel: says to open it in Excel, keeps the sheet check off, shows the data version", async () => {
    const page = await loadTaskpane(base, {}, { office: false });
    assert.deepEqual(page.scripts, ["/static/taskpane.js"]);
    assert.equal(page.window.Office, undefined);
    assert.equal(page.$("office-note").hidden, false);
    assert.equal(page.$("check-sheet").disabled, true);
    await waitFor(() => page.$("data-version").textContent !== "data: loading…", "the data version");
    assert.equal(page.$("data-version").textContent, "data: " + health.data_version);
    assert.equal(page.$("auth-section").hidden, false, "the server wants an API key");
  });

  it("in Excel: loads the custom functions in the same page and turns the sheet check on", async () => {
    const globals = inExcel(fakeWorkbook());
    const page = await loadTaskpane(base, globals, { storage: KEY });
    assert.deepEqual(page.scripts.slice(1), ["/xlwings/custom-functions-code.js", "/static/taskpane.js"]);
    await globals.Office.ready;
    assert.equal(page.$("check-sheet").disabled, false);
    assert.equal(page.$("office-note").hidden, true);
    assert.ok(globals.CustomFunctions.associations.has("CPT_DESC"), "shared runtime: functions registered");
    assert.equal(typeof page.window.cptAddinAuthHeaders, "function");
  });

  it("in another Office app: the sheet check stays off", async () => {
    const globals = inExcel(fakeWorkbook(), "Word");
    const page = await loadTaskpane(base, globals);
    await globals.Office.ready;
    assert.equal(page.$("check-sheet").disabled, true);
    assert.equal(page.$("office-note").hidden, false);
  });

  it("asks for the API key on a 401, saves it, and then answers", async () => {
    const page = await loadTaskpane(base, {}, { office: false });
    page.$("code").value = "43235";
    submit(page.window, page.$("code-form"));
    const refused = await waitFor(() => page.document.querySelector("#code-result .error"), "the 401 message");
    assert.match(refused.textContent, /authentication required.*\(enter the API key above\)$/);
    page.$("api-key").value = ` ${API_KEY} `;
    submit(page.window, page.$("auth-form"));
    assert.equal(page.window.localStorage.getItem("cptAddinApiKey"), API_KEY);
    assert.equal(page.$("api-key").value, "");
    assert.equal(page.$("auth-status").textContent, "Saved in this browser.");
    submit(page.window, page.$("code-form"));
    await waitFor(() => page.document.querySelector("#code-result .verdict"), "the code card");
    const last = page.fetch.calls.at(-1);
    assert.equal(last.headers["X-API-Key"], API_KEY);
  });

  it("under Entra ID: no key form, and a 401 does not point to one", async () => {
    const page = await loadTaskpane(base, {}, { office: false, entra: true });
    assert.equal(page.$("auth-section").hidden, true);
    page.$("code").value = "43235";
    submit(page.window, page.$("code-form"));
    const refused = await waitFor(() => page.document.querySelector("#code-result .error"), "the 401 message");
    assert.match(refused.textContent, /^authentication required/);
    assert.doesNotMatch(refused.textContent, /enter the API key above/);
  });

  it("code search: the card and the PTP edits table, from /api/code", async () => {
    const page = await loadTaskpane(base, {}, { office: false, storage: KEY });
    assert.equal(page.$("auth-status").textContent, "A key is saved in this browser.");
    page.$("code").value = " 43235 ";
    page.$("code-date").value = "2026-05-04";
    submit(page.window, page.$("code-form"));
    await waitFor(() => settled(page.$("code-result")), "the answer");
    const answer = JSON.parse(
      await (await fetch(base + "/api/code/43235?date=2026-05-04&setting=practitioner", { headers: { "X-API-Key": API_KEY } })).text(),
    );
    assert.equal(page.fetch.calls.at(-1).path, "/api/code/43235?date=2026-05-04&setting=practitioner");
    const result = page.$("code-result");
    assert.equal(result.querySelector(".verdict").textContent, "43235: " + answer.description);
    assert.deepEqual([...result.querySelectorAll(".card li")].map((li) => li.textContent), answer.card);
    assert.ok(answer.edits.length > 0);
    assert.equal(result.querySelector("h3").textContent, `PTP edits with other codes (${answer.edits_total})`);
    const rows = [...result.querySelectorAll("table tr")];
    assert.deepEqual([...rows[0].children].map((th) => th.textContent), ["Other code", "Role", "Mod. ind.", "In force", "Dates", "Rationale"]);
    assert.equal(rows.length, answer.edits.length + 1);
    const first = [...rows[1].children].map((td) => td.textContent);
    assert.equal(first[0], answer.edits[0].other_code);
    assert.equal(first[1], "43235 is " + answer.edits[0].role);
    assert.equal(first[3], answer.edits[0].applies ? "yes" : "no");
    assert.equal(rows[1].className, answer.edits[0].applies ? "" : "not-in-force");
  });

  it("code search for DME: says why there are no PTP edits (the server's note)", async () => {
    const page = await loadTaskpane(base, {}, { office: false, storage: KEY });
    page.$("code").value = "43235";
    page.$("code-setting").value = "dme";
    submit(page.window, page.$("code-form"));
    await waitFor(() => settled(page.$("code-result")), "the answer");
    const text = page.$("code-result").textContent;
    assert.match(text, /NCCI PTP edits do not apply to DME supplier claims/);
    assert.doesNotMatch(text, /No PTP edits with other codes in the loaded table/);
  });

  it("code search: a malformed code shows the server's 400 message", async () => {
    const page = await loadTaskpane(base, {}, { office: false, storage: KEY });
    page.$("code").value = "ZZZ";
    submit(page.window, page.$("code-form"));
    const error = await waitFor(() => page.document.querySelector("#code-result .error"), "the error");
    assert.match(error.textContent, /^Invalid code format ZZZ/);
  });

  it("pair check: headline verdict and the explanation lines", async () => {
    const page = await loadTaskpane(base, {}, { office: false, storage: KEY });
    Object.assign(page.$("code1"), { value: "43235" });
    Object.assign(page.$("code2"), { value: "43497" });
    Object.assign(page.$("code-date"), { value: "2026-05-04" });
    submit(page.window, page.$("pair-form"));
    await waitFor(() => settled(page.$("pair-result")), "the verdict");
    const paragraphs = [...page.$("pair-result").querySelectorAll("p")];
    assert.equal(paragraphs[0].className, "verdict conflict");
    assert.match(paragraphs[0].textContent, /^CONFLICT/);
    assert.ok(paragraphs.length > 1);
    const sent = new URL(page.fetch.calls.at(-1).url);
    assert.equal(sent.pathname, "/api/conflicts");
    assert.equal(sent.searchParams.get("date"), "2026-05-04");
    assert.equal(sent.searchParams.get("setting"), "practitioner");
    // an unknown pair partner: the message, not a verdict
    page.$("code2").value = "99999";
    submit(page.window, page.$("pair-form"));
    const error = await waitFor(() => page.document.querySelector("#pair-result .error"), "the error");
    assert.match(error.textContent, /Unknown code 99999/);
  });

  it("Check this sheet: sends the used range, writes the findings as text, reports the counts", async () => {
    const workbook = fakeWorkbook({ activeName: "Claims", text: CLAIMS, others: ["Findings"] });
    const globals = inExcel(workbook);
    const page = await loadTaskpane(base, globals, { storage: KEY });
    await globals.Office.ready;
    page.$("check-sheet").click();
    assert.equal(page.$("check-sheet").disabled, true, "off while it runs");
    await waitFor(() => settled(page.$("sheet-result")), "the verdict");
    assert.equal(page.$("check-sheet").disabled, false);
    const sent = page.fetch.calls.find((c) => c.path === "/api/check-sheet");
    assert.deepEqual(sent.body, { values: CLAIMS, first_row: 1, sheet: "Claims" });
    const answer = await (
      await fetch(base + "/api/check-sheet", { method: "POST", headers: { "X-API-Key": API_KEY, "Content-Type": "application/json" }, body: JSON.stringify(sent.body) })
    ).json();
    assert.deepEqual(workbook.log.deleted, ["Findings"], "the old Findings sheet is replaced");
    assert.deepEqual(workbook.log.added, ["Findings"]);
    assert.deepEqual(workbook.log.activated, ["Findings"]);
    const findings = workbook.log.sheets.Findings;
    assert.equal(findings.frozenRows, 1);
    const [data, header, all] = findings.writes;
    assert.deepEqual(data.values, answer.table.map((row) => row.map((v) => (v === null ? "" : String(v)))));
    assert.ok(data.numberFormat.flat().every((f) => f === "@"), "text format: '=…' stays text");
    assert.ok(data.values.flat().every((v) => typeof v === "string"));
    assert.equal(header.rowCount, 1);
    assert.equal(header.bold, true);
    assert.equal(all.autofit, true);
    const lines = [...page.$("sheet-result").querySelectorAll("p")].map((p) => p.textContent);
    const severities = Object.entries(answer.counts.by_severity).map(([k, v]) => `${v} ${k}`).join(", ");
    assert.equal(lines[0], `${answer.counts.findings} finding(s): ${severities}.`);
    assert.equal(lines[1], `${answer.counts.rows_checked} rows checked, ${answer.counts.rows_rejected} rejected. See the Findings sheet.`);
    assert.equal(page.$("sheet-result").firstElementChild.className, answer.exit_code ? "verdict conflict" : "verdict ok");
  });

  it("Check this sheet: writes a long findings table in chunks of 2000 rows", async () => {
    const table = [["Row", "Message"], ...Array.from({ length: 4500 }, (_, i) => [i + 2, "=cmd|' /C calc'!A0"])];
    const fetchLike = browserFetch(base);
    const answering = async (resource, options) => {
      if (String(resource) === "/api/check-sheet") {
        fetchLike.calls.push({ path: "/api/check-sheet", body: JSON.parse(options.body) });
        return new Response(JSON.stringify({ table, exit_code: 1, counts: { findings: 4500, by_severity: { error: 4500 }, rows_checked: 4500, rows_rejected: 0 } }), { status: 200 });
      }
      return fetchLike(resource, options);
    };
    const workbook = fakeWorkbook({ text: CLAIMS });
    const globals = { ...inExcel(workbook), fetch: answering };
    const page = await loadTaskpane(base, globals, { storage: KEY });
    await globals.Office.ready;
    page.$("check-sheet").click();
    await waitFor(() => settled(page.$("sheet-result")), "the verdict");
    const writes = workbook.log.sheets.Findings.writes.filter((w) => w.values);
    assert.deepEqual(writes.map((w) => [w.rowIndex, w.rowCount, w.columnCount]), [[0, 2000, 2], [2000, 2000, 2], [4000, 501, 2]]);
    assert.deepEqual(writes.flatMap((w) => w.values), table.map((row) => row.map(String)));
    assert.deepEqual(workbook.log.deleted, [], "no Findings sheet to replace");
  });

  it("Check this sheet: refuses an empty sheet and the Findings sheet itself", async () => {
    for (const [options, message] of [
      [{ text: null }, "The active sheet is empty."],
      [{ activeName: "Findings", text: CLAIMS }, "Select the sheet with the claims, not the Findings sheet."],
    ]) {
      const workbook = fakeWorkbook(options);
      const globals = inExcel(workbook);
      const page = await loadTaskpane(base, globals, { storage: KEY });
      await globals.Office.ready;
      page.$("check-sheet").click();
      const error = await waitFor(() => page.document.querySelector("#sheet-result .error"), "the error");
      assert.equal(error.textContent, message);
      assert.equal(page.$("check-sheet").disabled, false);
      assert.equal(page.fetch.calls.filter((c) => c.path === "/api/check-sheet").length, 0);
      assert.deepEqual(workbook.log.added, []);
    }
  });

  it("Check this sheet: a busy server (503) is shown as it says, without retrying on its own", async () => {
    const fetchLike = browserFetch(base);
    let checks = 0;
    const busy = async (resource, options) => {
      if (String(resource) === "/api/check-sheet") {
        checks += 1;
        const detail = "The server is busy: 6 claim checks are running or waiting. Try again in a minute.";
        return new Response(JSON.stringify({ detail }), { status: 503, headers: { "Retry-After": "60" } });
      }
      return fetchLike(resource, options);
    };
    const workbook = fakeWorkbook({ text: CLAIMS });
    const globals = { ...inExcel(workbook), fetch: busy };
    const page = await loadTaskpane(base, globals, { storage: KEY });
    await globals.Office.ready;
    page.$("check-sheet").click();
    const error = await waitFor(() => page.document.querySelector("#sheet-result .error"), "the error");
    assert.equal(error.textContent, "The server is busy: 6 claim checks are running or waiting. Try again in a minute.");
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(checks, 1);
    assert.equal(page.$("check-sheet").disabled, false, "the user can try again");
    assert.deepEqual(workbook.log.added, []);
  });

  it("Check this sheet: a refused check (400) is shown and nothing is written", async () => {
    const workbook = fakeWorkbook({ text: [["nothing", "useful"], ["a", "b"]] });
    const globals = inExcel(workbook);
    const page = await loadTaskpane(base, globals, { storage: KEY });
    await globals.Office.ready;
    page.$("check-sheet").click();
    const error = await waitFor(() => page.document.querySelector("#sheet-result .error"), "the error");
    assert.ok(error.textContent.length > 10, error.textContent);
    assert.deepEqual(workbook.log.added, []);
    assert.equal(page.$("check-sheet").disabled, false);
  });
});
