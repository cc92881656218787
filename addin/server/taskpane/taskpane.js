// cpt-addin task pane: code search, pair check and "Check this sheet".
// Works in any browser for the searches; the sheet check needs Excel (Office.js). Without
// Office.js (a plain browser, or tests) it shows a note and never touches `Office`.
(function () {
  "use strict";

  const FINDINGS_SHEET = "Findings";
  const WRITE_CHUNK_ROWS = 2000;
  const hasOffice = typeof Office !== "undefined";
  let inExcel = false;

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function show(container, ...nodes) {
    container.replaceChildren(...nodes);
  }

  async function headers() {
    if (typeof globalThis.cptAddinAuthHeaders === "function") {
      return globalThis.cptAddinAuthHeaders();
    }
    const result = { "Content-Type": "application/json" };
    let key = null;
    try {
      key = localStorage.getItem("cptAddinApiKey");
    } catch (err) {
      key = null;
    }
    if (key) {
      result["X-API-Key"] = key;
    }
    return result;
  }

  async function api(path, options) {
    const response = await fetch(path, Object.assign({ headers: await headers() }, options || {}));
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    if (!response.ok) {
      let detail = body && body.detail ? body.detail : response.statusText;
      if (typeof detail !== "string") {
        detail = JSON.stringify(detail);
      }
      if (response.status === 401 && !$("auth-section").hidden) {
        detail += " (enter the API key above)"; // not under Entra ID: no key form is shown
      }
      throw new Error(detail);
    }
    return body;
  }

  function errorNode(err) {
    return el("p", err && err.message ? err.message : String(err), "error");
  }

  function table(columns, rows, rowClass) {
    const tableNode = el("table");
    const head = el("tr");
    for (const [, label] of columns) {
      head.appendChild(el("th", label));
    }
    tableNode.appendChild(head);
    for (const row of rows) {
      const tr = el("tr");
      if (rowClass) {
        tr.className = rowClass(row);
      }
      for (const [key] of columns) {
        tr.appendChild(el("td", row[key] === null || row[key] === undefined ? "" : row[key]));
      }
      tableNode.appendChild(tr);
    }
    return tableNode;
  }

  async function loadHealth() {
    try {
      const health = await (await fetch("/health")).json();
      $("data-version").textContent = "data: " + health.data_version;
    } catch (err) {
      $("data-version").textContent = "data: unavailable";
    }
  }

  async function lookUpCode(event) {
    event.preventDefault();
    const target = $("code-result");
    const params = new URLSearchParams();
    if ($("code-date").value) {
      params.set("date", $("code-date").value);
    }
    params.set("setting", $("code-setting").value);
    show(target, el("p", "Looking up…", "muted"));
    try {
      const code = encodeURIComponent($("code").value.trim());
      const answer = await api("/api/code/" + code + "?" + params.toString());
      const card = el("ul", null, "card");
      for (const line of answer.card) {
        card.appendChild(el("li", line));
      }
      const nodes = [el("p", answer.code + ": " + answer.description, answer.known ? "verdict" : "verdict conflict"), card];
      if (answer.edits.length) {
        const shown = answer.edits.map((edit) => ({
          other: edit.other_code,
          role: answer.code + " is " + edit.role,
          indicator: edit.modifier_indicator,
          inForce: edit.applies ? "yes" : "no",
          dates: (edit.effective_date || "").slice(0, 10) + " – " + (edit.deletion_date || "").slice(0, 10),
          rationale: edit.rationale,
        }));
        nodes.push(el("h3", "PTP edits with other codes (" + answer.edits_total + ")"));
        nodes.push(
          table(
            [["other", "Other code"], ["role", "Role"], ["indicator", "Mod. ind."], ["inForce", "In force"], ["dates", "Dates"], ["rationale", "Rationale"]],
            shown,
            (row) => (row.inForce === "yes" ? "" : "not-in-force"),
          ),
        );
        if (answer.edits_truncated) {
          nodes.push(el("p", "Showing the first " + answer.edits.length + " edits.", "muted"));
        }
      } else if (answer.edits_note) {
        // e.g. DME: CMS publishes no PTP table for the setting, which is not "no edits"
        nodes.push(el("p", answer.edits_note, "muted"));
      } else if (answer.known) {
        nodes.push(el("p", "No PTP edits with other codes in the loaded table.", "muted"));
      }
      show(target, ...nodes);
    } catch (err) {
      show(target, errorNode(err));
    }
  }

  async function checkPair(event) {
    event.preventDefault();
    const target = $("pair-result");
    const params = new URLSearchParams({
      code1: $("code1").value.trim(),
      code2: $("code2").value.trim(),
      mods1: $("mods1").value.trim(),
      mods2: $("mods2").value.trim(),
      setting: $("code-setting").value,
    });
    if ($("code-date").value) {
      params.set("date", $("code-date").value);
    }
    show(target, el("p", "Checking…", "muted"));
    try {
      const answer = await api("/api/conflicts?" + params.toString());
      const kind = answer.verdict === "conflict" ? "verdict conflict" : "verdict ok";
      const [headline, ...rest] = answer.lines;
      show(target, el("p", headline, kind), ...rest.map((line) => el("p", line)));
    } catch (err) {
      show(target, errorNode(err));
    }
  }

  async function writeFindings(context, tableRows) {
    const sheets = context.workbook.worksheets;
    const old = sheets.getItemOrNullObject(FINDINGS_SHEET);
    await context.sync();
    if (!old.isNullObject) {
      old.delete();
    }
    const sheet = sheets.add(FINDINGS_SHEET);
    const width = tableRows[0].length;
    for (let start = 0; start < tableRows.length; start += WRITE_CHUNK_ROWS) {
      const part = tableRows.slice(start, start + WRITE_CHUNK_ROWS);
      const range = sheet.getRangeByIndexes(start, 0, part.length, width);
      // Text format first: claim text that starts with "=" must never become a formula.
      range.numberFormat = part.map((row) => row.map(() => "@"));
      range.values = part.map((row) => row.map((value) => (value === null ? "" : String(value))));
      await context.sync();
    }
    sheet.getRangeByIndexes(0, 0, 1, width).format.font.bold = true;
    sheet.freezePanes.freezeRows(1);
    sheet.getRangeByIndexes(0, 0, tableRows.length, width).format.autofitColumns();
    sheet.activate();
    await context.sync();
  }

  async function checkSheet() {
    const target = $("sheet-result");
    const button = $("check-sheet");
    button.disabled = true;
    show(target, el("p", "Reading the sheet…", "muted"));
    try {
      await Excel.run(async (context) => {
        const sheet = context.workbook.worksheets.getActiveWorksheet();
        const used = sheet.getUsedRangeOrNullObject(true);
        sheet.load("name");
        used.load(["text", "rowIndex", "rowCount"]);
        await context.sync();
        if (used.isNullObject) {
          throw new Error("The active sheet is empty.");
        }
        if (sheet.name === FINDINGS_SHEET) {
          throw new Error("Select the sheet with the claims, not the Findings sheet.");
        }
        show(target, el("p", "Checking " + (used.rowCount - 1) + " rows…", "muted"));
        const answer = await api("/api/check-sheet", {
          method: "POST",
          body: JSON.stringify({ values: used.text, first_row: used.rowIndex + 1, sheet: sheet.name }),
        });
        await writeFindings(context, answer.table);
        const counts = answer.counts;
        const severities = Object.entries(counts.by_severity).map(([k, v]) => v + " " + k).join(", ") || "none";
        show(
          target,
          el("p", counts.findings + " finding(s): " + severities + ".", answer.exit_code ? "verdict conflict" : "verdict ok"),
          el("p", counts.rows_checked + " rows checked, " + counts.rows_rejected + " rejected. See the Findings sheet.", "muted"),
        );
      });
    } catch (err) {
      show(target, errorNode(err));
    } finally {
      button.disabled = !inExcel;
    }
  }

  function setUpAuth() {
    if (document.body.dataset.apiKey !== "true" || document.body.dataset.entra === "true") {
      return;
    }
    $("auth-section").hidden = false;
    let saved = null;
    try {
      saved = localStorage.getItem("cptAddinApiKey");
    } catch (err) {
      saved = null;
    }
    $("auth-status").textContent = saved ? "A key is saved in this browser." : "No key saved yet.";
    $("auth-form").addEventListener("submit", (event) => {
      event.preventDefault();
      try {
        localStorage.setItem("cptAddinApiKey", $("api-key").value.trim());
        $("api-key").value = "";
        $("auth-status").textContent = "Saved in this browser.";
      } catch (err) {
        $("auth-status").textContent = "This browser does not allow saving the key.";
      }
    });
  }

  function setUpOffice() {
    if (!hasOffice) {
      $("office-note").hidden = false;
      return;
    }
    Office.onReady((info) => {
      inExcel = info && info.host === Office.HostType.Excel;
      $("check-sheet").disabled = !inExcel;
      $("office-note").hidden = inExcel;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpAuth();
    setUpOffice();
    $("code-form").addEventListener("submit", lookUpCode);
    $("pair-form").addEventListener("submit", checkPair);
    $("check-sheet").addEventListener("click", checkSheet);
    loadHealth();
  });
})();
