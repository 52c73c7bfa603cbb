import { parseDocument } from 'yaml';

export type YamlFileResult = { ok: true; data: unknown } | { ok: false; problems: string[] };

/** The first line of a yaml error: the rest quotes the file, which may hold secrets or hashes. */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Parses a configuration file's text into plain data. Problems name the file and the position,
 * never the file's content.
 */
export function parseYamlFile(file: string, text: string): YamlFileResult {
  // Merge keys ("<<: *defaults") as YAML 1.1 and Go's yaml.v2 (exporter-toolkit) read them.
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => {
        const where = error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
        // yaml's own advice ("please use YAML.parseAllDocuments()") is for programmers, not for this file's author.
        const what =
          error.code === 'MULTIPLE_DOCS'
            ? 'the file holds more than one YAML document (a second "---"); expected one'
            : firstLine(error.message);
        return `${file}: malformed YAML${where}: ${what}`;
      }),
    };
  }
  try {
    return { ok: true, data: doc.toJS() };
  } catch (error) {
    // yaml refuses to expand aliases without bound ("billion laughs").
    return {
      ok: false,
      problems: [
        `${file}: cannot be read as data: ${firstLine(error instanceof Error ? error.message : String(error))}`,
      ],
    };
  }
}
