// custom-functions.js as the server serves it, run against fake Office / Excel / CustomFunctions
// globals; every call goes over HTTP to the real Python server (helpers/server.mjs).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

import { loadCustomFunctions } from "./helpers/load.mjs";
import { cultureContext, fakeCustomFunctions, fakeExcel, fakeLocalStorage, fakeOffice } from "./helpers/office.mjs";
import { API_KEY, getText, serverUrl } from "./helpers/server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const TEMPLATE = path.join(here, "..", "..", "addin", "server", "taskpane", "custom-functions.js");
const INVOCATION = { address: "Sheet1!B2", parameterAddresses: [] };
const ONE = (value) => [[value]];

// One call per function, with the arguments Excel passes for matrix parameters (a 2-D array per
// argument; null for an omitted optional one), and what the first cell must say.
const EXAMPLES = {
  CPT_DESC: { args: [ONE("43235"), null], first: /^Diagnostic upper endoscopy/ },
  CPT_DESC_TABLE: { args: [[["43235"], ["43497"]], null], rows: 2 },
  CPT_CONFLICTS: { args: [ONE("43235"), ONE("43497"), null, null, ONE("2026-05-04"), null], first: /^CONFLICT/ },
  CPT_CONFLICTS_TABLE: { args: [[["43235"], ["43497"]], ONE("2026-05-04"), null] },
  SUGGEST_MODIFIERS: { args: [ONE("43235"), ONE("43497"), null, null] },
  SUGGEST_MODIFIERS_TABLE: { args: [[["43235"], ["43497"]], null, null] },
  CPT_INFO: { args: [ONE("43235"), ONE("global"), null, null], first: /^000$/ },
  CPT_MUE: { args: [ONE("43235"), null, null], first: /1/ },
  CPT_ADDON: { args: [ONE("43235"), null], first: /not an add-on/ },
  MODIFIER_DESC: { args: [ONE("59")], first: /^59/ },
  ICD10_DESC: { args: [ONE("K22.0"), null] },
  CPT_VALID: { args: [ONE("43235"), null, null], first: /^(TRUE|true|VALID)/i },
  CPT_DATA_VERSION: { args: [], first: /PTP/ },
  CLAIM_CHECK: {
    args: [[["Claim", "DOS", "CPT", "Modifiers", "Units"], ["C1", "2026-05-04", "43497", "", "1"], ["C1", "2026-05-04", "43235", "", "1"]], null],
    rows: 2, // a header and the one PTP finding
  },
};

function excelWith(sets) {
  return {
    Office: fakeOffice({ host: "Excel", sets }),
    CustomFunctions: fakeCustomFunctions(),
    Excel: fakeExcel(() => cultureContext("de-DE", "dd.MM.yyyy")),
    localStorage: fakeLocalStorage({ cptAddinApiKey: API_KEY }),
  };
}

async function call(scope, id, args, invocation = INVOCATION) {
  const fn = scope.CustomFunctions.associations.get(id);
  assert.ok(fn, `${id} is not associated`);
  return fn(...args, invocation);
}

describe("custom functions", () => {
  let base;
  let meta;
  before(async () => {
    base = await serverUrl();
    meta = JSON.parse(await getText(base, "/xlwings/custom-functions-meta.json"));
  });

  it("registers exactly the ids the metadata declares, each under its Python name", async () => {
    const scope = await loadCustomFunctions(base, excelWith({}));
    const ids = meta.functions.map((f) => f.id).sort();
    assert.deepEqual([...scope.CustomFunctions.associations.keys()].sort(), ids);
    for (const f of meta.functions) {
      assert.equal(f.name, f.id, "Excel shows the name; the script associates the id");
      assert.ok(f.options.requiresAddress, `${f.id}: the script drops the invocation argument Excel appends`);
    }
    const health = JSON.parse(await getText(base, "/health"));
    assert.deepEqual(health.functions.map((name) => name.split(".").pop()).sort(), ids);
    // the manifest's namespace is where Excel puts them (=NCCI.CPT_DESC)
    const manifest = await getText(base, "/manifest.xml");
    const namespace = health.functions[0].split(".")[0];
    assert.match(manifest, new RegExp(`<bt:String id="Functions.Namespace" DefaultValue="${namespace}"`));
    // ... and the script and metadata this test loads are the ones the manifest names
    assert.ok(manifest.includes(`<bt:Url id="Functions.Script.Url" DefaultValue="${base}/xlwings/custom-functions-code.js" />`));
    assert.ok(manifest.includes(`<bt:Url id="Functions.Metadata.Url" DefaultValue="${base}/xlwings/custom-functions-meta.json" />`));
    // each call posts the lower-case Python name, which the server knows
    for (const f of meta.functions) {
      const example = EXAMPLES[f.id];
      assert.ok(example, `${f.id}: add an example call to EXAMPLES in this file`);
      assert.equal(example.args.length, f.parameters.length, `${f.id}: one example argument per parameter`);
    }
  });

  it("answers every function with a 2-D array from the server", async () => {
    const scope = await loadCustomFunctions(base, excelWith({}));
    for (const [id, example] of Object.entries(EXAMPLES)) {
      const result = await call(scope, id, example.args);
      assert.ok(Array.isArray(result) && result.every(Array.isArray), `${id}: ${JSON.stringify(result)}`);
      if (example.first) {
        assert.match(String(result[0][0]), example.first, `${id}: ${JSON.stringify(result).slice(0, 300)}`);
      }
      if (example.rows) {
        assert.equal(result.length, example.rows, `${id}: ${JSON.stringify(result).slice(0, 300)}`);
      }
    }
    const posted = scope.fetch.calls.map((c) => c.body.func_name);
    assert.deepEqual(posted, Object.keys(EXAMPLES).map((id) => id.toLowerCase()));
  });

  it("sends the Office.js payload: arguments without the invocation, address, culture, runtime", async () => {
    const scope = await loadCustomFunctions(base, excelWith({ CustomFunctionsRuntime: "1.3", ExcelApi: "1.12" }));
    await scope.Office.ready;
    await new Promise((resolve) => setImmediate(resolve)); // the culture's Excel.run
    assert.equal(scope.Excel.runs, 1);
    await call(scope, "CPT_CONFLICTS", [ONE("43235"), ONE("43497"), undefined, undefined, ONE("2026-05-04"), undefined], { address: "Claims!F7" });
    const [sent] = scope.fetch.calls;
    assert.equal(sent.method, "POST");
    assert.equal(sent.path, "/xlwings/custom-functions-call");
    assert.equal(sent.headers["X-API-Key"], API_KEY);
    assert.deepEqual(sent.body.args, [ONE("43235"), ONE("43497"), null, null, ONE("2026-05-04"), null]);
    assert.equal(sent.body.caller_address, "Claims!F7");
    assert.equal(sent.body.culture_info_name, "de-DE");
    assert.equal(sent.body.date_format, "dd.MM.yyyy");
    assert.equal(sent.body.runtime, "1.3");
    assert.equal(sent.body.client, "Office.js");
    assert.match(sent.body.session_id, /\S{8,}/);
  });

  it("keeps en-US when Excel is older than ExcelApi 1.12 (no culture to read)", async () => {
    const scope = await loadCustomFunctions(base, excelWith({ CustomFunctionsRuntime: "1.4" }));
    await scope.Office.ready;
    await call(scope, "CPT_DESC", [ONE("43235"), null]);
    assert.equal(scope.Excel.runs, 0);
    assert.equal(scope.fetch.calls[0].body.culture_info_name, "en-US");
    assert.equal(scope.fetch.calls[0].body.runtime, "1.4");
  });

  it("turns a 400 into a #VALUE! error carrying the server's message", async () => {
    const scope = await loadCustomFunctions(base, excelWith({}));
    await assert.rejects(call(scope, "CPT_CONFLICTS", [ONE("ZZZ"), ONE("43497"), null, null, null, null]), (err) => {
      assert.ok(err instanceof scope.CustomFunctions.Error, String(err));
      assert.equal(err.code, scope.CustomFunctions.ErrorCode.invalidValue);
      assert.match(err.message, /^CPT_CONFLICTS: Invalid code format ZZZ/);
      return true;
    });
    // a wrong number of arguments is refused by the server the same way
    await assert.rejects(call(scope, "CPT_DESC", []), (err) => err instanceof scope.CustomFunctions.Error && /takes 1 to 2 arguments/.test(err.message));
    assert.equal(scope.fetch.calls.length, 2, "one request per call: errors are not retried");
  });

  it("passes a referenced cell's error (#N/A) on, as Excel's own functions do, without a request", async () => {
    const scope = await loadCustomFunctions(base, excelWith({}));
    const missing = new scope.CustomFunctions.Error(scope.CustomFunctions.ErrorCode.notAvailable, "lookup failed");
    await assert.rejects(call(scope, "CPT_DESC", [ONE(missing), null]), (err) => err === missing);
    const claims = [["Claim", "CPT"], ["C1", "43235"], ["C1", missing]];
    await assert.rejects(call(scope, "CLAIM_CHECK", [claims, null]), (err) => err === missing);
    assert.equal(scope.fetch.calls.length, 0);
  });

  it("says that an API key is needed when none is saved (401)", async () => {
    const scope = await loadCustomFunctions(base, { ...excelWith({}), localStorage: fakeLocalStorage() });
    await assert.rejects(call(scope, "CPT_DESC", [ONE("43235"), null]), (err) => {
      assert.ok(err instanceof scope.CustomFunctions.Error);
      assert.match(err.message, /authentication required/);
      return true;
    });
    assert.equal(scope.fetch.calls[0].headers["X-API-Key"], undefined);
  });

  it("shows a proxy's plain-text error as #VALUE! and an unreachable server as #N/A, each with a message", async () => {
    const globals = excelWith({});
    let calls = 0;
    globals.fetch = async () => {
      calls += 1;
      return new Response("<html>" + "Bad gateway ".repeat(40) + "</html>", { status: 502 });
    };
    let scope = await loadCustomFunctions(base, globals);
    await assert.rejects(call(scope, "CPT_DESC", [ONE("43235"), null]), (err) => {
      assert.ok(err instanceof scope.CustomFunctions.Error);
      assert.ok(err.message.startsWith("<html>Bad gateway") && err.message.length <= 250, err.message);
      return true;
    });
    assert.equal(calls, 1, "no retry");
    globals.fetch = async () => {
      throw new TypeError("fetch failed");
    };
    scope = await loadCustomFunctions(base, { ...globals, CustomFunctions: fakeCustomFunctions() });
    await assert.rejects(call(scope, "CPT_DESC", [ONE("43235"), null]), (err) => {
      assert.ok(err instanceof scope.CustomFunctions.Error, `a bare ${err && err.name} gives Excel no message`);
      assert.equal(err.code, scope.CustomFunctions.ErrorCode.notAvailable);
      assert.match(err.message, /cannot reach the cpt-addin server/);
      return true;
    });
  });

  it("sends an Entra ID token when single sign-on is on, and falls back to the API key", async () => {
    const source = (await getText(base, "/xlwings/custom-functions-code.js")).replace(
      "const ENTRA_ENABLED = false;",
      "const ENTRA_ENABLED = true;",
    );
    assert.match(source, /const ENTRA_ENABLED = true;/);
    const globals = excelWith({});
    globals.Office = fakeOffice({ host: "Excel", getAccessToken: async (options) => (assert.equal(options.allowSignInPrompt, true), "token-1") });
    let scope = await loadCustomFunctions(base, globals, { code: source });
    const headers = await scope.cptAddinAuthHeaders();
    assert.equal(headers.Authorization, "Bearer token-1");
    // Office cannot give a token (not signed in, SSO not supported here): the saved API key answers
    globals.Office = fakeOffice({ host: "Excel", getAccessToken: async () => Promise.reject(Object.assign(new Error("no SSO"), { code: 13012 })) });
    scope = await loadCustomFunctions(base, { ...globals, CustomFunctions: fakeCustomFunctions() }, { code: source });
    const result = await call(scope, "CPT_DESC", [ONE("43235"), null]);
    assert.match(String(result[0][0]), /^Diagnostic upper endoscopy/);
    assert.equal(scope.fetch.calls[0].headers["X-API-Key"], API_KEY);
    assert.equal(scope.fetch.calls[0].headers.Authorization, undefined);
  });

  it("does nothing outside Excel (no Office, no CustomFunctions)", () => {
    // the unfilled template: placeholders are plain strings and nothing is registered
    const scope = { console, fetch: () => assert.fail("no request outside Excel") };
    vm.runInNewContext(readFileSync(TEMPLATE, "utf-8"), scope);
    assert.equal(typeof scope.cptAddinAuthHeaders, "function");
  });
});
