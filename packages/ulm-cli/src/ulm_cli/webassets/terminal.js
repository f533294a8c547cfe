"use strict";
/*
 * A small terminal for a CP/M console: 80 columns, a cursor, carriage return, line feed,
 * backspace, automatic wrap and scrolling. The screen is real text in the page (one element per
 * line), so screen readers, copy and paste, and tests read it as they read any page.
 *
 * Characters arrive as a string with one character per byte (Latin-1). The line the user is
 * typing is shown at the cursor but is not part of the screen: CP/M echoes it itself once the
 * program reads it, exactly as it would on a real terminal.
 */

const BACKSPACE = 0x08;
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

class UlmTerminal {
  constructor(screen, { columns = 80, maxLines = 2000 } = {}) {
    this.screen = screen;
    this.columns = columns;
    this.maxLines = maxLines;
    // Keep showing the newest line, unless the reader has scrolled up to read older ones.
    // (Scroll events arrive late: only a move up from where we last scrolled to, or a move to
    // the bottom, is the reader's.)
    this.follow = true;
    this.scrolledTo = 0;
    screen.addEventListener("scroll", () => {
      if (screen.scrollTop + screen.clientHeight >= screen.scrollHeight - 4) this.follow = true;
      else if (screen.scrollTop < this.scrolledTo - 4) this.follow = false;
    });
    this.clear();
  }

  /** Empty the screen. */
  clear() {
    this.lines = [];
    this.screen.replaceChildren();
    this.row = 0;
    this.col = 0;
    this.typing = "";
    this.addLine();
    this.render();
  }

  addLine() {
    const element = document.createElement("div");
    element.className = "line";
    const text = document.createElement("span");
    text.className = "text";
    element.append(text);
    this.screen.append(element);
    this.lines.push({ chars: [], element, text, dirty: true });
    if (this.lines.length > this.maxLines) {
      this.lines.shift().element.remove();
      this.row -= 1;
    }
  }

  /** Put console output on the screen. */
  write(data) {
    for (const char of data) {
      const code = char.charCodeAt(0);
      if (code === CARRIAGE_RETURN) {
        this.col = 0;
      } else if (code === LINE_FEED) {
        this.newLine();
      } else if (code === BACKSPACE) {
        this.col = Math.max(0, this.col - 1);
      } else if (code === TAB) {
        do { this.put(" "); } while (this.col % 8 !== 0);
      } else if (code >= 0x20 && code !== 0x7f) {
        this.put(char);
      }
      // other control characters (bell, NUL padding, DEL) show nothing, as on a glass teletype
    }
    this.render();
  }

  put(char) {
    if (this.col >= this.columns) {
      this.newLine();
      this.col = 0;
    }
    const line = this.lines[this.row];
    while (line.chars.length < this.col) line.chars.push(" ");
    line.chars[this.col] = char;
    line.dirty = true;
    this.col += 1;
  }

  newLine() {
    this.lines[this.row].dirty = true;
    this.row += 1;
    if (this.row >= this.lines.length) this.addLine();
    this.lines[this.row].dirty = true;
  }

  /** Show ``text`` as the line being typed, at the cursor. */
  setTyping(text) {
    this.typing = text;
    this.lines[this.row].dirty = true;
    this.render();
  }

  /** Write a note (an answer's cost) at the end of a line, outside the character grid. */
  annotate(row, text, data = {}) {
    const line = this.lines[Math.max(0, Math.min(row, this.lines.length - 1))];
    let note = line.element.querySelector(".cost");
    if (!note) {
      note = document.createElement("span");
      note.className = "cost";
      line.element.append(note);
    }
    note.textContent = text;
    for (const [key, value] of Object.entries(data)) note.dataset[key] = String(value);
  }

  render() {
    for (let index = 0; index < this.lines.length; index += 1) {
      const line = this.lines[index];
      if (!line.dirty) continue;
      line.dirty = false;
      line.element.querySelectorAll(".typing, .cursor, .after").forEach((node) => node.remove());
      if (index !== this.row) {
        line.text.textContent = line.chars.join("");
        continue;
      }
      // The cursor's line: text before the cursor, what is being typed, the cursor, the rest.
      line.text.textContent = line.chars.slice(0, this.col).join("").padEnd(this.col, " ");
      const at = this.col + this.typing.length;
      const parts = [["typing", this.typing], ["cursor", line.chars[at] || " "],
        ["after", line.chars.slice(at + 1).join("")]];
      const note = line.element.querySelector(".cost");
      for (const [name, content] of parts) {
        if (!content) continue;
        const span = document.createElement("span");
        span.className = name;
        span.textContent = content;
        line.element.insertBefore(span, note);
      }
    }
    if (this.follow) {
      this.screen.scrollTop = this.screen.scrollHeight;
      this.scrolledTo = this.screen.scrollTop;
    }
  }

  /** Where the cursor is on the page, for placing the (invisible) input element there. */
  cursorElement() {
    return this.lines[this.row].element.querySelector(".cursor");
  }

  /** The screen's text, one string per line, without notes and without the typed line. */
  text() {
    return this.lines.map((line) => line.chars.join(""));
  }
}

window.UlmTerminal = UlmTerminal;
