// Fake Office.js globals: just what Excel gives an add-in, written after the Office.js API
// reference (CustomFunctions.associate/Error/ErrorCode, Office.onReady/HostType/context/auth,
// Excel.run with a request context). Workbook objects are office-addin-mock's OfficeMockObject,
// which enforces load() + sync() before a property is read, as Excel does.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { OfficeMockObject } = require("office-addin-mock");

/** CustomFunctions: `associations` maps each registered id to its function. */
export function fakeCustomFunctions() {
  const associations = new Map();
  class CustomFunctionsError extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }
  return {
    associations,
    associate(id, fn) {
      if (associations.has(id)) {
        throw new Error(`${id} associated twice`);
      }
      associations.set(id, fn);
    },
    Error: CustomFunctionsError,
    ErrorCode: { invalidValue: "#VALUE!", notAvailable: "#N/A", divisionByZero: "#DIV/0!", invalidNumber: "#NUM!", nullReference: "#NULL!", invalidName: "#NAME?", invalidReference: "#REF!" },
  };
}

/** Office: onReady resolves on the next turn with `host`; `sets` lists the requirement sets
 * supported, e.g. {CustomFunctionsRuntime: "1.4", ExcelApi: "1.12"}. */
export function fakeOffice({ host = "Excel", sets = {}, getAccessToken } = {}) {
  const HostType = { Excel: "Excel", Word: "Word", PowerPoint: "PowerPoint", Outlook: "Outlook" };
  const office = {
    HostType,
    readyCalls: 0,
    ready: null,
    onReady(callback) {
      office.readyCalls += 1;
      const info = { host: HostType[host] || host, platform: "OfficeOnline" };
      const done = Promise.resolve().then(() => (callback ? callback(info) : undefined)).then(() => info);
      office.ready = office.ready ? Promise.all([office.ready, done]) : done;
      return done;
    },
    context: {
      requirements: {
        isSetSupported(name, version) {
          const supported = sets[name];
          return supported !== undefined && Number(version) <= Number(supported);
        },
      },
    },
  };
  if (getAccessToken) {
    office.auth = { getAccessToken };
  }
  return office;
}

/** Excel: `run(batch)` hands `batch` the context made by `makeContext()`; `runs` counts calls. */
export function fakeExcel(makeContext) {
  const excel = {
    runs: 0,
    async run(batch) {
      excel.runs += 1;
      const context = makeContext();
      const sync = typeof context.sync === "function" ? context.sync.bind(context) : async () => {};
      context.sync = async () => {
        await sync();
        // office-addin-mock's sync does not await its nested objects: let them settle
        await new Promise((resolve) => setImmediate(resolve));
      };
      return batch(context);
    },
  };
  return excel;
}

/** A request context whose application has a culture (for the custom functions). */
export function cultureContext(name, shortDatePattern) {
  return new OfficeMockObject({
    application: { cultureInfo: { name, datetimeFormat: { shortDatePattern } } },
  });
}

/** A workbook: the active sheet (name + used-range texts), other sheet names, and a record of
 * what the add-in writes: `sheets[name].writes` (one per range written), `deleted`, `added`. */
export function fakeWorkbook({ activeName = "Claims", text = null, others = [] } = {}) {
  const log = { deleted: [], added: [], activated: [], syncs: 0, sheets: {} };
  const mocks = []; // every object handed out: a context.sync() syncs them all, as Excel does
  const track = (mock) => (mocks.push(mock), mock);

  function makeRange(sheetName, rowIndex, columnIndex, rowCount, columnCount) {
    const range = track(new OfficeMockObject({ rowIndex, columnIndex, rowCount, columnCount }));
    const write = { rowIndex, columnIndex, rowCount, columnCount, numberFormat: null, values: null, bold: null, autofit: false };
    log.sheets[sheetName].writes.push(write);
    Object.defineProperty(range, "numberFormat", { set: (v) => (write.numberFormat = v), get: () => write.numberFormat });
    Object.defineProperty(range, "values", { set: (v) => (write.values = v), get: () => write.values });
    range.format = { font: {}, autofitColumns: () => (write.autofit = true) };
    Object.defineProperty(range.format.font, "bold", { set: (v) => (write.bold = v), get: () => write.bold });
    return range;
  }

  function makeSheet(name, usedText) {
    log.sheets[name] = log.sheets[name] || { writes: [], frozenRows: 0 };
    const sheet = track(new OfficeMockObject({ name }));
    sheet.getUsedRangeOrNullObject = () => {
      const used = track(new OfficeMockObject({ text: usedText || [], rowIndex: 0, rowCount: usedText ? usedText.length : 0 }));
      used.isNullObject = !usedText; // readable after sync without a load, as in Office.js
      return used;
    };
    sheet.getRangeByIndexes = (r, c, rows, cols) => makeRange(name, r, c, rows, cols);
    sheet.freezePanes = { freezeRows: (n) => (log.sheets[name].frozenRows = n) };
    sheet.activate = () => log.activated.push(name);
    sheet.delete = () => log.deleted.push(name);
    return sheet;
  }

  const active = makeSheet(activeName, text);
  const names = new Set([activeName, ...others]);
  const worksheets = {
    getActiveWorksheet: () => active,
    getItemOrNullObject: (name) => {
      const found = names.has(name) ? makeSheet(name, [["x"]]) : track(new OfficeMockObject({}));
      found.isNullObject = !names.has(name);
      return found;
    },
    add: (name) => {
      log.added.push(name);
      names.add(name);
      delete log.sheets[name];
      return makeSheet(name, null);
    },
  };
  const makeContext = () => {
    const context = {
      workbook: { worksheets },
      async sync() {
        log.syncs += 1;
        for (const mock of mocks) {
          await mock.sync();
        }
      },
    };
    return context;
  };
  return { log, makeContext, active };
}

/** localStorage as a browser has it (string values). */
export function fakeLocalStorage(initial = {}) {
  const data = new Map(Object.entries(initial));
  return {
    getItem: (key) => (data.has(key) ? data.get(key) : null),
    setItem: (key, value) => data.set(key, String(value)),
    removeItem: (key) => data.delete(key),
    clear: () => data.clear(),
  };
}

/** Wait until `predicate()` is truthy (polling; the tests' own timeout bounds it). */
export async function waitFor(predicate, what = "condition", ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = predicate();
    if (value) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
