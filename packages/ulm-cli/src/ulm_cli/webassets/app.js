"use strict";
/*
 * The page around the terminal. The Z80 runs in a Web Worker (worker.mjs): ulm-emu under
 * Pyodide. This file asks it to load a program, sends it each line typed, and shows the output,
 * at once or, with "Real speed", no sooner than a 4 MHz Z80 would have printed it. Beside each
 * answer goes its cost: the T-states the turn took and the seconds that is at 4 MHz.
 */
(() => {
  const Z80_HZ = 4_000_000;
  const LARGEST_FILE = 1 << 20; // far more than any CP/M program; larger files are not read
  const START_PATIENCE_MS = 120_000; // after this, a runtime that has not started is reported
  const $ = (id) => document.getElementById(id);
  const number = (value) => Math.round(value).toLocaleString("en-US");

  const state = {
    site: null,
    worker: null,
    terminal: null,
    waiting: false, // the program waits for a line
    busy: false, // the worker runs the program, or its output is being played back
    loading: false, // a program is being loaded
    queue: [], // lines typed while busy
    program: null, // { bytes, name } of the program on the screen
    generation: 0, // counts loads; output of an older program is dropped
    requests: new Map(),
    nextRequest: 1,
    answers: 0,
  };

  // --- messages and status ---------------------------------------------------------------

  /** Show a message: ``parts`` are strings and {code: "..."} for commands to copy. */
  function showMessage(parts) {
    const box = $("message");
    box.replaceChildren();
    for (const part of parts) {
      if (typeof part === "string") {
        box.append(part);
      } else {
        const code = document.createElement("code");
        code.textContent = part.code;
        box.append(code);
      }
    }
    box.hidden = false;
  }

  function hideMessage() {
    $("message").hidden = true;
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  function siteFolder() {
    const folder = decodeURIComponent(location.pathname.replace(/\/[^/]*$/, ""));
    return folder || "SITE";
  }

  /** Why this page cannot run here, or null. */
  function unsupported() {
    if (location.protocol === "file:") {
      return ["This page runs Python compiled to WebAssembly in a worker, which browsers load only "
        + "over HTTP, not from a file. Serve the folder and open it there: ",
      { code: `python3 -m http.server -d ${siteFolder()} 8000` }, " and then ",
      { code: "http://127.0.0.1:8000/" }, "."];
    }
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
      return ["This browser offers no WebAssembly (or it is turned off), and the Z80 emulator of "
        + "this page is Python compiled to WebAssembly. Use a current Firefox, Chrome, Edge or "
        + "Safari with WebAssembly on, or run the program on your computer: ",
      { code: "pip install ulm-emu && ulm-emu program.com" }, " (program.com is in this site's folder)."];
    }
    if (typeof Worker !== "function") {
      return ["This browser cannot run Web Workers, which this page needs for its Z80 emulator."];
    }
    return null;
  }

  // --- the worker ------------------------------------------------------------------------

  function request(op, payload) {
    return new Promise((resolve) => {
      const id = state.nextRequest;
      state.nextRequest += 1;
      state.requests.set(id, resolve);
      state.worker.postMessage({ id, op, ...payload });
    });
  }

  function workerFailed(text) {
    state.busy = true;
    showMessage([`The Z80 emulator could not start (${text}). This site's pyodide/ folder may be `
      + "incomplete or damaged: make the site again with ", { code: "ulm web ... -o SITE" }, "."]);
    setStatus("Not running.");
  }

  function startWorker() {
    const worker = new Worker("worker.mjs", { type: "module" });
    state.worker = worker;
    const watchdog = setTimeout(() => workerFailed("it has not started after two minutes; the "
      + "browser's console may say why"), START_PATIENCE_MS);
    worker.onerror = (event) => {
      clearTimeout(watchdog);
      workerFailed(event.message || "the worker did not load");
    };
    worker.onmessage = (event) => {
      const message = event.data;
      if (message.type === "reply") {
        const resolve = state.requests.get(message.id);
        state.requests.delete(message.id);
        resolve(message.result);
      } else if (message.type === "ready") {
        clearTimeout(watchdog);
        document.body.dataset.readyMs = String(Math.round(performance.now()));
        setStatus(`Python ${message.python} (Pyodide ${message.pyodide}) started in `
          + `${(message.ms / 1000).toFixed(1)} s. Starting ${state.site.program.name}...`);
        loadSiteProgram();
      } else if (message.type === "fatal") {
        clearTimeout(watchdog);
        workerFailed(message.message);
      }
    };
  }

  // --- programs --------------------------------------------------------------------------

  async function loadSiteProgram() {
    const response = await fetch("program.com");
    if (!response.ok) {
      showMessage([`This site has no program.com (${response.status}): make it again with `,
        { code: "ulm web ... -o SITE" }, "."]);
      return;
    }
    await loadProgram(new Uint8Array(await response.arrayBuffer()), state.site.program.name);
  }

  async function loadProgram(bytes, name) {
    // Lines typed meanwhile wait in the queue: they are for the program that is running when
    // the load is over (the new one, or the old one if this file is refused).
    state.loading = true;
    const result = await request("load", { bytes, name });
    state.loading = false;
    if (!result.ok) {
      showMessage([result.error]);
      sendQueued();
      return;
    }
    state.generation += 1;
    hideMessage();
    state.program = { bytes, name };
    state.answers = 0;
    state.waiting = false;
    state.busy = true;
    $("screen").dataset.answers = "0";
    delete $("screen").dataset.ended;
    $("program-name").textContent = name;
    $("restart").disabled = false;
    state.terminal.clear();
    await play(result.turn, { first: true, sentAt: performance.now(), generation: state.generation });
  }

  function isUlmModel(name, bytes) {
    if (name.toLowerCase().endsWith(".ulm")) return true;
    const magic = state.site.ulm_magic || "";
    const head = Array.from(bytes.slice(0, magic.length / 2), (b) => b.toString(16).padStart(2, "0")).join("");
    return magic.length > 0 && head === magic;
  }

  async function openFile(file) {
    if (!file) return;
    if (file.size > LARGEST_FILE) {
      showMessage([`${file.name} is ${number(file.size)} bytes: not a CP/M program, which fits in `
        + `the ${number(state.site.tpa_bytes)} bytes of a 64K system's TPA.`]);
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (isUlmModel(file.name, bytes)) {
      const stem = file.name.replace(/\.[^.]*$/, "").toUpperCase().slice(0, 8) || "MODEL";
      showMessage([`${file.name} is a ulm model. Building it into a CP/M program takes ulm-z80 and `
        + "numpy, which cannot run in this page. On your computer, make a page for it with ",
      { code: `ulm web ${file.name} -o site/` }, ", or build the program with ",
      { code: `ulm build ${file.name} -o ${stem}.COM` }, " and open that .COM here."]);
      return;
    }
    await loadProgram(bytes, file.name);
  }

  // --- turns -----------------------------------------------------------------------------

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

  /** Show a turn's output, then its cost. */
  async function play(turn, { first = false, sentAt, generation }) {
    const terminal = state.terminal;
    if ($("real-speed").checked) {
      for (const [tstate, text] of turn.output) {
        await sleep(sentAt + (tstate / Z80_HZ) * 1000 - performance.now());
        if (generation !== state.generation) return;
        terminal.write(text);
        placeKeys();
      }
      await sleep(sentAt + (turn.tstates / Z80_HZ) * 1000 - performance.now());
    } else {
      terminal.write(turn.output.map(([, text]) => text).join(""));
    }
    if (generation !== state.generation) return;
    finishTurn(turn, first);
  }

  function seconds(tstates) {
    const value = tstates / Z80_HZ;
    return value < 10 ? value.toFixed(2) : value.toFixed(1);
  }

  function finishTurn(turn, first) {
    const terminal = state.terminal;
    const name = state.program.name;
    if (!first) {
      // The answer is on the line above the cursor: the program has printed its prompt, or
      // a line end, after it.
      const row = terminal.row > 0 ? terminal.row - 1 : terminal.row;
      terminal.annotate(row, `  \u2190 ${number(turn.tstates)} T-states, ${seconds(turn.tstates)} s at 4 MHz`,
        { tstates: turn.tstates, total: turn.total_tstates, seconds: turn.seconds.toFixed(4) });
      state.answers += 1;
      $("screen").dataset.answers = String(state.answers);
      if (state.answers === 1) document.body.dataset.firstAnswerMs = String(Math.round(performance.now()));
    }
    if (first && !document.body.dataset.promptMs) document.body.dataset.promptMs = String(Math.round(performance.now()));
    const mhz = turn.seconds > 0 ? (turn.tstates / turn.seconds / 1e6).toFixed(1) : "-";
    setStatus(`${name}: ${first ? "started in" : "last turn"} ${number(turn.tstates)} T-states = `
      + `${seconds(turn.tstates)} s on a 4 MHz Z80; emulated in ${turn.seconds.toFixed(2)} s `
      + `(${mhz} MHz-equivalent). ${number(turn.total_tstates)} T-states since the program started.`);
    $("screen").dataset.totalTstates = String(turn.total_tstates);
    $("screen").classList.remove("busy");
    state.busy = false;
    placeKeys();
    if (turn.waiting) {
      state.waiting = true;
      sendQueued();
      return;
    }
    state.waiting = false;
    $("screen").dataset.ended = turn.exit_reason;
    if (turn.exit_reason === "warm-boot") {
      showMessage([`${name} returned to CP/M after ${number(turn.total_tstates)} T-states. `
        + "Press Restart program to run it again."]);
    } else {
      showMessage([`${name} stopped: ${turn.message || turn.exit_reason}.`]);
    }
  }

  async function send(line) {
    state.waiting = false;
    state.busy = true;
    $("screen").classList.add("busy");
    const generation = state.generation;
    const sentAt = performance.now();
    const result = await request("send", { bytes: new TextEncoder().encode(line) });
    if (generation !== state.generation) return;
    if (!result.ok) {
      showMessage([result.error]);
      state.busy = false;
      return;
    }
    await play(result.turn, { sentAt, generation });
  }

  function submit(line) {
    state.queue.push(line);
    sendQueued();
  }

  function sendQueued() {
    if (state.waiting && !state.busy && !state.loading && state.queue.length > 0) send(state.queue.shift());
  }

  // --- keyboard, files, controls ---------------------------------------------------------

  /** Keep the (invisible) input element at the cursor, where the browser shows what is typed. */
  function placeKeys() {
    const cursor = state.terminal.cursorElement();
    if (!cursor) return;
    const frame = $("terminal-frame").getBoundingClientRect();
    const box = cursor.getBoundingClientRect();
    const keys = $("keys");
    keys.style.left = `${box.left - frame.left}px`;
    keys.style.top = `${Math.max(0, Math.min(box.top - frame.top, frame.height - box.height))}px`;
  }

  function wireKeyboard() {
    const keys = $("keys");
    const screen = $("screen");
    $("terminal-frame").addEventListener("click", () => keys.focus());
    keys.addEventListener("focus", () => screen.classList.add("focused"));
    keys.addEventListener("blur", () => screen.classList.remove("focused"));
    keys.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        const line = keys.value;
        keys.value = "";
        state.terminal.setTyping("");
        submit(line);
      } else if (event.key === "c" && event.ctrlKey && keys.value === "") {
        event.preventDefault();
        submit("\x03"); // Ctrl-C first on a line: CP/M's warm boot
      }
    });
    keys.addEventListener("input", () => {
      const lines = keys.value.split(/\r\n|\r|\n/);
      keys.value = lines.pop();
      lines.forEach(submit); // pasted lines are typed one after the other
      state.terminal.setTyping(keys.value);
      placeKeys();
    });
  }

  function wireFiles() {
    const picker = $("open-file");
    picker.addEventListener("change", () => {
      openFile(picker.files[0]);
      picker.value = "";
    });
    const hint = $("drop-hint");
    window.addEventListener("dragover", (event) => {
      event.preventDefault();
      hint.hidden = false;
    });
    window.addEventListener("dragleave", (event) => {
      if (event.relatedTarget === null) hint.hidden = true;
    });
    window.addEventListener("drop", (event) => {
      event.preventDefault();
      hint.hidden = true;
      openFile(event.dataTransfer.files[0]);
    });
    $("restart").addEventListener("click", () => {
      if (state.program) loadProgram(state.program.bytes, state.program.name);
      $("keys").focus();
    });
  }

  function describeSite(site) {
    $("program-name").textContent = site.program.name;
    if (site.model) {
      const sizes = site.model.layer_sizes.join(" \u2192 ");
      const answers = site.model.answers.length ? `; it answers with one of ${site.model.answers.join(", ")}` : "";
      $("model-about").textContent = `a character-level language model (${sizes}, 2-bit weights, `
        + `from ${site.model.source}) as one ${number(site.program.bytes)}-byte program${answers}`;
    } else {
      $("model-about").textContent = `a ${number(site.program.bytes)}-byte CP/M program`;
    }
    const box = $("suggestions");
    for (const text of site.suggestions || []) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.addEventListener("click", () => {
        submit(text);
        $("keys").focus();
      });
      box.append(button);
    }
  }

  async function main() {
    state.terminal = new window.UlmTerminal($("screen"));
    const problem = unsupported();
    if (problem) {
      showMessage(problem);
      setStatus("Not running.");
      return;
    }
    const response = await fetch("ulm-site.json");
    if (!response.ok) {
      showMessage(["This folder holds no ulm-site.json: make the site with ", { code: "ulm web ... -o SITE" }, "."]);
      return;
    }
    state.site = await response.json();
    describeSite(state.site);
    wireKeyboard();
    wireFiles();
    setStatus("Loading Python (Pyodide, about 13 MB) and the Z80 emulator...");
    startWorker();
    $("keys").focus();
  }

  main();
})();
