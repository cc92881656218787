// The real add-in server for these tests. The pytest wrapper (tests/test_js_office.py) starts
// one and passes its address in CPT_ADDIN_TEST_URL; run on their own (`npm test`), the tests
// start one per test file with `python live_server.py` (CPT_ADDIN_TEST_PYTHON, default python3).
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const API_KEY = process.env.CPT_ADDIN_TEST_API_KEY || "js-test-key";

let started = null;

function startServer() {
  const python = process.env.CPT_ADDIN_TEST_PYTHON || "python3";
  const child = spawn(python, [path.join(here, "..", "live_server.py")], {
    env: {
      ...process.env,
      PYTHONPATH: [path.join(here, "..", "..", ".."), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
      CPT_ADDIN_TEST_API_KEY: API_KEY,
      CPT_ADDIN_HOME: process.env.CPT_ADDIN_HOME || mkdtempSync(path.join(tmpdir(), "cpt-addin-js-")),
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = seen.match(/LISTENING (\S+)/);
      if (match) {
        // The server stops when its standard input closes: when this process ends, however it
        // ends. Until then it must not keep this process alive.
        child.unref();
        child.stdout.unref();
        child.stdin.unref();
        resolve(match[1]);
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`live_server.py exited with ${code} before listening`)));
  });
}

/** The server's base URL, e.g. http://127.0.0.1:54321. */
export function serverUrl() {
  if (process.env.CPT_ADDIN_TEST_URL) {
    return Promise.resolve(process.env.CPT_ADDIN_TEST_URL.replace(/\/$/, ""));
  }
  started = started || startServer();
  return started;
}

/** GET a path of the server: its text. */
export async function getText(base, pathname) {
  const response = await fetch(base + pathname);
  if (!response.ok) {
    throw new Error(`GET ${pathname}: HTTP ${response.status}`);
  }
  return response.text();
}

/** A fetch for code written for the browser: relative URLs resolve against the server, and
 * every request is recorded (url, method, headers, parsed JSON body) in `calls`. */
export function browserFetch(base) {
  const calls = [];
  async function fetchLike(resource, options = {}) {
    const url = new URL(String(resource), base + "/").toString();
    let body = options.body;
    try {
      body = body === undefined ? undefined : JSON.parse(body);
    } catch {
      // not JSON: keep it as sent
    }
    calls.push({ url, path: url.slice(base.length), method: options.method || "GET", headers: { ...(options.headers || {}) }, body });
    return fetch(url, options);
  }
  fetchLike.calls = calls;
  return fetchLike;
}
