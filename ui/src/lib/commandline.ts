// Command lines as the user sees and edits them: POSIX-shell-like words (single quotes, double quotes,
// backslash escapes), because that is how the same command is typed in a terminal. Nothing here runs a shell;
// the words go to the helper process as an argument vector.

export type SplitResult = { ok: true; words: string[] } | { ok: false; message: string };

export function splitCommandLine(line: string): SplitResult {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  let quoteAt = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1] as string)) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      quoteAt = i;
      inWord = true;
    } else if (c === "\\") {
      if (i + 1 >= line.length) return { ok: false, message: "the command line ends with a lone backslash" };
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) return { ok: false, message: `the quote (${quote}) at character ${quoteAt + 1} is never closed` };
  if (inWord) words.push(cur);
  return { ok: true, words };
}

/** Quotes a word so `splitCommandLine` gives it back unchanged. */
export function quoteWord(w: string): string {
  if (w !== "" && /^[A-Za-z0-9_\-+=:,./@%]+$/.test(w)) return w;
  return `'${w.replace(/'/g, `'\\''`)}'`;
}

export function joinCommandLine(words: readonly string[]): string {
  return words.map(quoteWord).join(" ");
}

export const PROGRAM = "portolan";

/** The scanner's arguments in a command line the user typed, without the leading program name. */
export function scannerArgs(line: string): SplitResult {
  const r = splitCommandLine(line);
  if (!r.ok) return r;
  const words = r.words[0] === PROGRAM ? r.words.slice(1) : r.words;
  return { ok: true, words };
}

/** Scan-type letters (after `-s`) that need raw packets; `T` (connect), `V`, `C`, `L`, `n` do not. */
const RAW_SCAN_LETTERS = new Set(["S", "A", "W", "M", "N", "F", "X", "U", "Y", "Z", "O"]);

/**
 * The same scan without raw packets, for a scanner lacking the privileges: raw scan types are dropped (UDP,
 * SCTP and IP-protocol scans have no unprivileged form), `--scanflags` with them, and `-sT` stands in when
 * any was dropped. Every other word is kept as typed.
 */
export function toConnectScan(words: readonly string[]): string[] {
  const out: string[] = [];
  let dropped = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === "--scanflags") {
      i++;
      dropped = true;
      continue;
    }
    if (w.startsWith("--scanflags=")) {
      dropped = true;
      continue;
    }
    if (/^-s[A-Za-z]+$/.test(w)) {
      const kept = [...w.slice(2)].filter((c) => !RAW_SCAN_LETTERS.has(c)).join("");
      if (kept.length !== w.length - 2) dropped = true;
      if (kept !== "") out.push(`-s${kept}`);
      continue;
    }
    out.push(w);
  }
  const hasConnect = out.some((w) => /^-s[A-Za-z]*T/.test(w));
  if (dropped && !hasConnect) out.unshift("-sT");
  return out;
}
