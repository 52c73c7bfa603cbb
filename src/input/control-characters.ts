// C0 controls, DEL and C1 controls: never part of a secret or a name, and a sign of a mangled
// value; in a log line, a line break or a terminal escape.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
// The same, and the Unicode line and paragraph separators, in runs.
// eslint-disable-next-line no-control-regex
const LINE_BREAKING_RUN_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

export function hasControlCharacter(text: string): boolean {
  return CONTROL_RE.test(text);
}

/** The text on one line: each run of control characters or line/paragraph separators becomes one space. */
export function toOneLine(text: string): string {
  return text.replace(LINE_BREAKING_RUN_RE, ' ');
}
