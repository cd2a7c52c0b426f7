// Autocompletion for the history's search language (crates/store/src/search, whose HELP text these lines
// mirror; a test checks they stay in step). Pure functions: the search box asks what to offer for the word
// under the caret and how the text reads once a suggestion is taken.

export interface Keyword {
  key: string;
  /** What the value looks like, as in the store's help (`NAME`, `LIST`). */
  arg: string;
  help: string;
}

export const KEYWORDS: Keyword[] = [
  { key: "target", arg: "TEXT", help: "scans whose command line contains TEXT" },
  { key: "profile", arg: "TEXT", help: "scans whose profile contains TEXT" },
  { key: "after", arg: "DATE", help: "scans started at or after DATE (2024-05-01, or 7d/12h/30m/2w ago)" },
  { key: "before", arg: "DATE", help: "scans started before DATE" },
  { key: "net", arg: "CIDR", help: "hosts with an address in the network (198.18.0.0/24, 2001:db8::/32)" },
  { key: "host", arg: "ADDR|NAME", help: "hosts with that address, or a hostname containing NAME" },
  { key: "service", arg: "NAME", help: "hosts with a port running service NAME (ssh, http*)" },
  { key: "product", arg: "TEXT", help: "hosts with a service product containing TEXT" },
  { key: "version", arg: "TEXT", help: "hosts with a service version containing TEXT" },
  { key: "port", arg: "LIST", help: "hosts with a listed port in any state (22,80,1-1024,udp/53)" },
  { key: "open", arg: "LIST", help: "hosts with a listed port in state open" },
  { key: "closed", arg: "LIST", help: "hosts with a listed port in state closed" },
  { key: "filtered", arg: "LIST", help: "hosts with a listed port filtered (or open|filtered, closed|filtered)" },
  { key: "os", arg: "TEXT", help: "hosts with an OS match containing TEXT" },
  { key: "script", arg: "ID[:TEXT]", help: "hosts with a result of script ID (* for any) whose output contains TEXT" },
];

/** Service names offered before the history has shown any: common ones, by their IANA names. */
export const COMMON_SERVICES = [
  "ssh", "http", "https", "ftp", "telnet", "smtp", "domain", "pop3", "imap", "snmp", "ldap", "microsoft-ds",
  "netbios-ssn", "msrpc", "ms-wbt-server", "mysql", "postgresql", "rdp", "vnc", "http-proxy", "ntp", "sip",
];

const AGES = [
  { value: "1d", help: "the last day" },
  { value: "7d", help: "the last week" },
  { value: "30d", help: "the last 30 days" },
  { value: "12h", help: "the last 12 hours" },
];

/** Values the box may offer per keyword, besides the built-in ones (from what the history has shown). */
export interface KnownValues {
  services?: Iterable<string>;
  hosts?: Iterable<string>;
  products?: Iterable<string>;
}

export interface Suggestion {
  /** The whole word as it will read (`service:`, `service:http`). */
  text: string;
  /** What the list shows beside it. */
  help: string;
  /** A keyword (the user goes on typing its value) or a complete value. */
  kind: "keyword" | "value";
}

/** The word under the caret: where it starts, its negation prefix and its text. */
export function currentWord(text: string, caret: number): { start: number; end: number; neg: string; word: string } | null {
  // Inside an open double quote the user is typing a value with spaces: no suggestions there.
  const before = text.slice(0, caret);
  if ((before.match(/"/g) ?? []).length % 2 === 1) return null;
  let start = caret;
  while (start > 0 && !/\s/.test(text[start - 1] ?? "")) start--;
  let end = caret;
  while (end < text.length && !/\s/.test(text[end] ?? "")) end++;
  let word = text.slice(start, caret);
  let neg = "";
  if (word.startsWith("!") || word.startsWith("-")) {
    neg = word[0] ?? "";
    word = word.slice(1);
  }
  return { start, end, neg, word };
}

function quote(v: string): string {
  return /[\s"]/.test(v) ? `"${v.replace(/"/g, "")}"` : v;
}

const MAX = 12;

/** What to offer for the word under the caret; `all` lists every keyword for an empty word (opened by ↓). */
export function suggest(text: string, caret: number, known: KnownValues = {}, all = false): Suggestion[] {
  const cur = currentWord(text, caret);
  if (!cur) return [];
  const w = cur.word.toLowerCase();
  const colon = w.indexOf(":");
  if (colon < 0) {
    if (w === "" && !all) return [];
    return KEYWORDS.filter((k) => k.key.startsWith(w))
      .map((k) => ({ text: `${k.key}:`, help: `${k.key}:${k.arg}  ${k.help}`, kind: "keyword" as const }))
      .slice(0, all ? KEYWORDS.length : MAX);
  }
  const key = w.slice(0, colon);
  const part = cur.word.slice(colon + 1).replace(/^"/, "").toLowerCase();
  let values: { value: string; help: string }[] = [];
  const uniq = (xs: Iterable<string>) => [...new Set([...xs].filter((x) => x !== ""))];
  if (key === "service") {
    const seen = uniq(known.services ?? []);
    const rest = COMMON_SERVICES.filter((s) => !seen.includes(s));
    values = [...seen.sort().map((v) => ({ value: v, help: "seen in the history" })), ...rest.map((v) => ({ value: v, help: "service" }))];
  } else if (key === "host") {
    values = uniq(known.hosts ?? []).map((v) => ({ value: v, help: "seen in the history" }));
  } else if (key === "product") {
    values = uniq(known.products ?? []).sort().map((v) => ({ value: v, help: "seen in the history" }));
  } else if (key === "after" || key === "before") {
    values = AGES.map((a) => ({ value: a.value, help: `${key === "after" ? "within" : "older than"} ${a.help}` }));
  }
  return values
    .filter((v) => v.value.toLowerCase().startsWith(part) && v.value.toLowerCase() !== part)
    .slice(0, MAX)
    .map((v) => ({ text: `${key}:${quote(v.value)}`, help: v.help, kind: "value" as const }));
}

/** The text with the word under the caret replaced by `s`, and where the caret goes. */
export function applySuggestion(text: string, caret: number, s: Suggestion): { text: string; caret: number } {
  const cur = currentWord(text, caret);
  if (!cur) return { text, caret };
  const tail = text.slice(cur.end);
  const sep = s.kind === "value" && !tail.startsWith(" ") ? " " : "";
  const head = text.slice(0, cur.start) + cur.neg + s.text + sep;
  return { text: head + tail, caret: head.length };
}
