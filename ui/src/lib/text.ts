// Strings from the network shown as inert, visible text. Rendering them as text nodes already stops markup;
// this also makes control characters visible (an ANSI escape shows as `\x1b[31m`, not as nothing) and stops
// bidirectional overrides from reordering what the user reads.

// C0 controls, DEL, C1 controls, and the Unicode bidi embedding/override/isolate characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  const n = c.codePointAt(0) ?? 0;
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u{${n.toString(16)}}`;
}

/** One-line text: every control character escaped. */
export function printable(s: string | null | undefined): string {
  return (s ?? "").replace(UNSAFE, escape);
}

/** Multi-line text (script output, the normal-output view): newlines and tabs kept, other controls escaped. */
export function printableBlock(s: string | null | undefined): string {
  return (s ?? "").replace(UNSAFE, (c) => (c === "\n" || c === "\t" ? c : escape(c)));
}
