/*
 * The emulator's thread. It loads Pyodide (CPython compiled to WebAssembly) from ./pyodide/,
 * unpacks the Python sources of ulm-emu and ulm-spec from ulm-python.zip, and answers the page's
 * requests with ulm_emu.interactive.ProgramHost: "load" a .COM and run it until it waits for a
 * line, "send" a line and run until it waits again. Each reply is plain data: the console output
 * with the T-state of each piece, and the T-states the turn took.
 *
 * Nothing here is fetched from anywhere but this site.
 */
import { loadPyodide } from "./pyodide/pyodide.mjs";

const PYTHON_DIR = "/home/pyodide/ulm";
const GLUE = `
import sys
sys.path.insert(0, "${PYTHON_DIR}")
from ulm_emu.interactive import ProgramHost

host = ProgramHost()

def load(data, name):
    return host.load(bytes(data.to_py()), name)

def send(data):
    return host.send(bytes(data.to_py()))
`;

// The runtime's files besides pyodide.mjs (whose absence fails the import above). Pyodide's
// loader does not fail when one is missing, it waits for ever: so they are checked first.
const RUNTIME_FILES = ["pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"];

let python = null;

async function fetchBytes(name) {
  const response = await fetch(new URL(name, import.meta.url));
  if (!response.ok) throw new Error(`${name}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function checkRuntime() {
  for (const name of RUNTIME_FILES) {
    const response = await fetch(new URL(`./pyodide/${name}`, import.meta.url), { method: "HEAD" });
    if (!response.ok) throw new Error(`pyodide/${name}: ${response.status} ${response.statusText}`);
  }
}

async function start() {
  const began = performance.now();
  await checkRuntime();
  const pyodide = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href });
  pyodide.unpackArchive(await fetchBytes("ulm-python.zip"), "zip", { extractDir: PYTHON_DIR });
  pyodide.runPython(GLUE);
  python = pyodide;
  const version = pyodide.runPython("sys.version.split()[0]");
  postMessage({ type: "ready", ms: performance.now() - began, python: version, pyodide: pyodide.version });
}

function call(name, ...args) {
  const result = python.globals.get(name)(...args);
  try {
    return result.toJs({ dict_converter: Object.fromEntries });
  } finally {
    result.destroy();
  }
}

onmessage = (event) => {
  const { id, op } = event.data;
  try {
    let result;
    if (op === "load") result = call("load", event.data.bytes, event.data.name);
    else if (op === "send") result = call("send", event.data.bytes);
    else throw new Error(`unknown request ${op}`);
    postMessage({ type: "reply", id, result });
  } catch (error) {
    postMessage({ type: "reply", id, result: { ok: false, error: `the emulator failed: ${error.message}` } });
  }
};

start().catch((error) => postMessage({ type: "fatal", message: String(error && error.message || error) }));
