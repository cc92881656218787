// The manifest the server serves, checked offline: office-addin-manifest's reader, the rules
// of Microsoft's manifest schemas (element order, resource references, string and id lengths,
// id and version formats; see docs/server.md), and every URL in it answered by the server.
// Microsoft's validation service (`office-addin-manifest validate`) is online-only for XML
// manifests: it runs when CPT_ADDIN_ONLINE_MANIFEST_CHECK=1 and the service can be reached.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { JSDOM } from "jsdom";

import { getText, serverUrl } from "./helpers/server.mjs";

const require = createRequire(import.meta.url);
const { OfficeAddinManifest, validateManifest } = require("office-addin-manifest");
const here = path.dirname(fileURLToPath(import.meta.url));
const NS = {
  app: "http://schemas.microsoft.com/office/appforoffice/1.1",
  ov: "http://schemas.microsoft.com/office/taskpaneappversionoverrides",
  bt: "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
  xsi: "http://www.w3.org/2001/XMLSchema-instance",
};
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// Child order, as the schemas' xs:sequence lists it (OfficeAppManifestV1_1,
// TaskPaneAppVersionOverridesV1_0, OfficeAppBasicTypesV1_0); "?" optional, "+" one or more.
const ORDER = {
  OfficeApp: ["Id", "AlternateId?", "Version", "ProviderName", "DefaultLocale", "DisplayName", "Description", "IconUrl?", "HighResolutionIconUrl?", "SupportUrl?", "AppDomains?", "Hosts?", "Requirements?", "DefaultSettings", "Permissions", "Dictionary?", "VersionOverrides?"],
  VersionOverrides: ["Description?", "Requirements?", "Hosts?", "Resources?", "WebApplicationInfo?", "EquivalentAddins?", "VersionOverrides?"],
  "Host[Workbook]": ["Runtimes?", "AllFormFactors?", "DesktopFormFactor?"],
  "ExtensionPoint[CustomFunctions]": ["Script", "Page", "Metadata?", "Namespace?"],
  "ExtensionPoint[PrimaryCommandSurface]": ["OfficeTab*", "CustomTab*"],
  DesktopFormFactor: ["GetStarted?", "FunctionFile?", "ExtensionPoint+"],
  Group: ["Label", "Icon", "Control+"],
  "Control[Button]": ["Label", "Supertip", "Icon", "Action"],
  Supertip: ["Title", "Description"],
  "Action[ShowTaskpane]": ["TaskpaneId?", "SourceLocation", "Title?"],
  Resources: ["Images?", "Urls?", "ShortStrings?", "LongStrings?"],
  WebApplicationInfo: ["Id", "MsaId?", "Resource", "Scopes", "Authorizations?"],
};
// Which resource list each kind of reference points into.
const REFERENCE_KIND = {
  SourceLocation: "Urls", Runtime: "Urls", FunctionFile: "Urls",
  Label: "ShortStrings", Title: "ShortStrings", Namespace: "ShortStrings",
  Description: "LongStrings", Image: "Images",
};
const MAX_LENGTH = { ShortStrings: 125, LongStrings: 250, Urls: 2048, Images: 2048 };

function parse(xml) {
  const { window } = new JSDOM("");
  const doc = new window.DOMParser().parseFromString(xml, "application/xml");
  assert.equal(doc.getElementsByTagName("parsererror").length, 0, "well-formed XML");
  return doc;
}

const kids = (node) => [...node.children];
const typeOf = (node) => (node.getAttributeNS(NS.xsi, "type") || "").split(":").pop();

function checkOrder(node, problems, applied) {
  const typed = `${node.localName}[${typeOf(node)}]`;
  const key = ORDER[typed] ? typed : node.localName;
  const rule = ORDER[key];
  if (rule) {
    applied.add(key);
    const names = kids(node).map((child) => child.localName);
    let at = 0;
    for (const entry of rule) {
      const name = entry.replace(/[?*+]$/, "");
      let count = 0;
      while (names[at] === name) {
        at += 1;
        count += 1;
      }
      if (count === 0 && !/[?*]$/.test(entry)) {
        problems.push(`${key}: missing ${name} (children: ${names.join(", ")})`);
      }
      if (count > 1 && !/[*+]$/.test(entry)) {
        problems.push(`${key}: ${name} ${count} times`);
      }
    }
    if (at < names.length) {
      problems.push(`${key}: ${names[at]} is out of place (children: ${names.join(", ")})`);
    }
  }
  kids(node).forEach((child) => checkOrder(child, problems, applied));
}

/** Every rule above, for one manifest: a list of problems (empty when it passes). */
function schemaProblems(xml, { https }) {
  const doc = parse(xml);
  const problems = [];
  const applied = new Set();
  const root = doc.documentElement;
  assert.equal(root.namespaceURI, NS.app);
  assert.equal(typeOf(root), "TaskPaneApp");
  checkOrder(root, problems, applied);
  const text = (name) => root.getElementsByTagNameNS(NS.app, name)[0]?.textContent;
  const attr = (name) => root.getElementsByTagNameNS(NS.app, name)[0]?.getAttribute("DefaultValue");
  if (!GUID.test(text("Id"))) problems.push(`Id ${text("Id")} is not a GUID`);
  if (!/^\d{1,5}(\.\d{1,5}){0,3}$/.test(text("Version"))) problems.push(`Version ${text("Version")}`);
  if (!(attr("DisplayName").length <= 125)) problems.push("DisplayName longer than 125");
  if (!(attr("Description").length <= 250)) problems.push("Description longer than 250");
  if (!["Restricted", "ReadDocument", "ReadAllDocument", "WriteDocument", "ReadWriteDocument"].includes(text("Permissions"))) problems.push("Permissions");
  // resources: ids unique and at most 32 characters, values within their type's length
  const resources = {};
  for (const list of ["Images", "Urls", "ShortStrings", "LongStrings"]) {
    resources[list] = new Map();
    for (const list_node of doc.getElementsByTagNameNS(NS.bt, list)) {
      for (const item of kids(list_node)) {
        const id = item.getAttribute("id");
        const value = item.getAttribute("DefaultValue") || "";
        if (resources[list].has(id)) problems.push(`${list}: ${id} twice`);
        if (id.length > 32) problems.push(`${list}: id ${id} longer than 32 characters`);
        if (!value || value.length > MAX_LENGTH[list]) problems.push(`${list}: ${id} has ${value.length} characters`);
        resources[list].set(id, value);
      }
    }
  }
  // every resid names a resource of the right kind
  for (const node of doc.getElementsByTagName("*")) {
    const resid = node.getAttribute("resid");
    if (resid === null || node.parentNode.localName === "Images") continue;
    const kind = REFERENCE_KIND[node.localName];
    if (!kind) {
      problems.push(`${node.localName} resid=${resid}: unexpected reference`);
    } else if (!resources[kind].has(resid)) {
      problems.push(`${node.localName} resid=${resid}: no ${kind} entry with that id`);
    }
    if (resid.length > 32) problems.push(`resid ${resid} longer than 32 characters`);
  }
  // control, group and tab ids unique within the form factor; ribbon icons in 16, 32 and 80
  const ids = [...doc.getElementsByTagName("*")].filter((n) => n.namespaceURI === NS.ov && n.hasAttribute("id")).map((n) => n.getAttribute("id"));
  if (new Set(ids).size !== ids.length) problems.push(`duplicate ids: ${ids}`);
  for (const icon of doc.getElementsByTagNameNS(NS.ov, "Icon")) {
    const sizes = kids(icon).map((image) => image.getAttribute("size")).sort();
    if (sizes.join() !== "16,32,80") problems.push(`Icon sizes ${sizes}`);
  }
  const urls = [
    ...["IconUrl", "HighResolutionIconUrl", "SupportUrl", "SourceLocation"].map(attr).filter(Boolean),
    ...resources.Urls.values(),
    ...resources.Images.values(),
  ];
  for (const url of urls) {
    if (https && !url.startsWith("https://")) problems.push(`${url}: Office wants HTTPS`);
  }
  const namespace = resources.ShortStrings.get("Functions.Namespace");
  if (!/^[A-Z][A-Z0-9]{0,31}$/.test(namespace || "")) problems.push(`namespace ${namespace}`);
  return { problems, urls, resources, doc, applied };
}

function pythonManifest(settings) {
  const python = process.env.CPT_ADDIN_TEST_PYTHON || "python3";
  const code =
    "import json, sys\n" +
    "from addin.server.config import ServerSettings\n" +
    "from addin.server.manifest import manifest_xml\n" +
    "sys.stdout.write(manifest_xml(ServerSettings(**json.loads(sys.argv[1]))))\n";
  return execFileSync(python, ["-c", code, JSON.stringify(settings)], { encoding: "utf-8", cwd: path.join(here, "..", "..") });
}

describe("manifest", () => {
  let base;
  let xml;
  before(async () => {
    base = await serverUrl();
    xml = await getText(base, "/manifest.xml");
  });

  it("reads with office-addin-manifest (the parser Office's own tools use)", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "cpt-manifest-")), "manifest.xml");
    writeFileSync(file, xml);
    const info = await OfficeAddinManifest.readManifestFile(file);
    assert.match(info.id, GUID);
    assert.match(info.version, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(info.officeAppType, "TaskPaneApp");
    assert.deepEqual(info.hosts, ["Workbook"]);
    assert.equal(info.defaultLocale, "en-US");
    assert.equal(info.providerName, "cpt-addin");
    assert.equal(info.displayName, "cpt-addin: NCCI checks");
    assert.equal(info.permissions, "ReadWriteDocument");
    assert.equal(info.defaultSettings.sourceLocation, base + "/taskpane.html?office=1");
    assert.equal(info.iconUrl, base + "/static/icon-32.png");
  });

  it("follows the schemas' rules (order, references, lengths, formats)", () => {
    const { problems, applied } = schemaProblems(xml, { https: false });
    assert.deepEqual(problems, []);
    const unused = Object.keys(ORDER).filter((key) => !applied.has(key) && key !== "WebApplicationInfo");
    assert.deepEqual(unused, [], "every order rule met an element");
  });

  it("the rule check itself catches a broken manifest", () => {
    const broken = xml
      .replace('<Version>', '<ProviderName>x</ProviderName><Version>')
      .replace('resid="Functions.Namespace"', 'resid="Functions.Namespace.That.Is.Far.Too.Long"')
      .replace('<bt:Image size="80" resid="Icon.80x80" />', "");
    const { problems } = schemaProblems(broken, { https: true });
    assert.ok(problems.some((p) => /^OfficeApp: missing Version/.test(p)), problems.join("\n"));
    assert.ok(problems.some((p) => /no ShortStrings entry/.test(p)), problems.join("\n"));
    assert.ok(problems.some((p) => /longer than 32/.test(p)), problems.join("\n"));
    assert.ok(problems.some((p) => /Icon sizes/.test(p)), problems.join("\n"));
    assert.ok(problems.some((p) => /wants HTTPS/.test(p)), problems.join("\n"));
  });

  it("every URL in it is answered by the server, with the right content type", async () => {
    const { urls } = schemaProblems(xml, { https: false });
    assert.ok(urls.length >= 8);
    for (const url of new Set(urls)) {
      assert.ok(url.startsWith(base + "/"), `${url} is on the server's own address`);
      const response = await fetch(url);
      assert.equal(response.status, 200, url);
      const type = response.headers.get("content-type");
      const expected = /\.png$/.test(url) ? /^image\/png/ : /\.js$/.test(url) ? /javascript/ : /\.json$/.test(url) ? /json/ : /^text\/html/;
      assert.match(type, expected, url);
    }
    const meta = JSON.parse(await getText(base, "/xlwings/custom-functions-meta.json"));
    assert.ok(meta.functions.length > 0);
  });

  it("with an HTTPS public address and Entra ID: HTTPS everywhere and the app registration", () => {
    const client = "0b4c2a7e-1f3d-4e5a-9c8b-7d6e5f4a3b2c";
    const manifest = pythonManifest({ public_url: "https://addin.example.org", entra_tenant_id: "contoso.onmicrosoft.com", entra_client_id: client });
    const { problems, doc, applied } = schemaProblems(manifest, { https: true });
    assert.deepEqual(problems, []);
    assert.ok(applied.has("WebApplicationInfo"));
    const info = doc.getElementsByTagNameNS(NS.ov, "WebApplicationInfo")[0];
    assert.ok(info, "WebApplicationInfo");
    assert.equal(info.getElementsByTagNameNS(NS.ov, "Id")[0].textContent, client);
    assert.equal(info.getElementsByTagNameNS(NS.ov, "Resource")[0].textContent, `api://addin.example.org/${client}`);
  });

  const online = process.env.CPT_ADDIN_ONLINE_MANIFEST_CHECK === "1";
  it(
    "passes Microsoft's online validation service (office-addin-manifest validate)",
    { skip: online ? false : "online-only for XML manifests: set CPT_ADDIN_ONLINE_MANIFEST_CHECK=1 where the service can be reached" },
    async () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), "cpt-manifest-")), "manifest.xml");
      writeFileSync(file, pythonManifest({ public_url: "https://addin.example.org" }));
      const validation = await validateManifest(file);
      assert.equal(validation.isValid, true, JSON.stringify(validation.report?.errors || validation, null, 2));
    },
  );
});
