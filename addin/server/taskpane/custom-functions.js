// cpt-addin custom functions (served by the add-in server with its settings filled in).
// Each Excel call becomes one POST to the server; the server runs the same Python function
// as the classic Excel add-in and answers {"result": [[...]]}. Runs in the add-in's shared
// runtime (the task pane page); outside Excel it does nothing.
(function () {
  "use strict";

  const CALL_PATH = "__CALL_PATH__";
  const XLWINGS_VERSION = "__XLWINGS_VERSION__";
  const ENTRA_ENABLED = "__ENTRA_ENABLED__";
  const FUNCTIONS = "__FUNCTIONS__"; // [[python name, metadata id], ...]

  const state = { runtime: "1.1", cultureInfoName: "en-US", dateFormat: "M/d/yyyy" };

  function newSessionId() {
    if (globalThis.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }
  const sessionId = newSessionId();

  // Credentials: an Entra ID token from Office SSO, or the API key the task pane stored (also
  // when Office cannot give a token: not signed in, or SSO not supported by this Office).
  async function authHeaders() {
    const headers = { "Content-Type": "application/json" };
    if (ENTRA_ENABLED && typeof Office !== "undefined" && Office.auth) {
      try {
        const token = await Office.auth.getAccessToken({ allowSignInPrompt: true });
        headers["Authorization"] = "Bearer " + token;
        return headers;
      } catch (err) {
        // fall back to the API key below; without one the server answers 401 with what to do
      }
    }
    let key = null;
    try {
      key = globalThis.localStorage ? localStorage.getItem("cptAddinApiKey") : null;
    } catch (err) {
      key = null;
    }
    if (key) {
      headers["X-API-Key"] = key;
    }
    return headers;
  }
  globalThis.cptAddinAuthHeaders = authHeaders;

  // The metadata allows errors as "any" values: a referenced cell holding #N/A or #REF! arrives
  // as a CustomFunctions.Error. Pass it on, as Excel's own functions do, instead of sending it
  // (the server would refuse the object with a #VALUE! that names no cell).
  function firstCellError(args) {
    for (const value of args) {
      for (const cell of Array.isArray(value) ? value.flat() : [value]) {
        if (cell instanceof CustomFunctions.Error) {
          return cell;
        }
      }
    }
    return null;
  }

  async function callServer(funcName, callArgs) {
    const args = Array.prototype.slice.call(callArgs);
    const invocation = args.pop(); // requiresAddress: Excel appends the invocation
    const cellError = firstCellError(args);
    if (cellError) {
      throw cellError;
    }
    const body = {
      client: "Office.js",
      func_name: funcName,
      args: args.map((value) => (value === undefined ? null : value)),
      caller_address: invocation && invocation.address ? invocation.address : null,
      session_id: sessionId,
      culture_info_name: state.cultureInfoName,
      date_format: state.dateFormat,
      version: XLWINGS_VERSION,
      runtime: state.runtime,
    };
    let response;
    try {
      response = await fetch(CALL_PATH, {
        method: "POST",
        headers: await authHeaders(),
        body: JSON.stringify(body),
      });
    } catch (err) {
      // offline, server down, blocked by the network: a bare TypeError would show #VALUE! unexplained
      throw new CustomFunctions.Error(
        CustomFunctions.ErrorCode.notAvailable,
        "cannot reach the cpt-addin server (" + String((err && err.message) || err).slice(0, 150) + ")",
      );
    }
    if (!response.ok) {
      let message = await response.text();
      try {
        message = JSON.parse(message).detail || message;
      } catch (err) {
        // not JSON: keep the text
      }
      throw new CustomFunctions.Error(
        CustomFunctions.ErrorCode.invalidValue,
        String(message).slice(0, 250),
      );
    }
    return (await response.json()).result;
  }

  if (typeof Office === "undefined" || typeof CustomFunctions === "undefined") {
    return; // opened outside Excel: nothing to register
  }

  Office.onReady(function () {
    for (const version of ["1.4", "1.3", "1.2"]) {
      if (Office.context.requirements.isSetSupported("CustomFunctionsRuntime", version)) {
        state.runtime = version;
        break;
      }
    }
    if (typeof Excel !== "undefined" && Office.context.requirements.isSetSupported("ExcelApi", "1.12")) {
      Excel.run(async (context) => {
        const culture = context.application.cultureInfo;
        culture.load("name");
        culture.datetimeFormat.load("shortDatePattern");
        await context.sync();
        state.cultureInfoName = culture.name;
        state.dateFormat = culture.datetimeFormat.shortDatePattern;
      }).catch(() => {});
    }
  });

  for (const [funcName, functionId] of FUNCTIONS) {
    CustomFunctions.associate(functionId, function () {
      return callServer(funcName, arguments);
    });
  }
})();
