import { FLAGS, MODE_FLAGS } from './flags';

/*
 * The flag table of docs/configuration.md, made from the table --help is made from:
 * `npm run docs:generate` writes it there, and test/docs/generated.test.ts fails when it is stale.
 */

/** Plain text in a table cell: what Markdown would read as markup or a column break is escaped. */
function cell(text: string): string {
  return text.replace(/[\\`*_|<[\]]/g, (c) => `\\${c}`);
}

function seeAlso(docs: string | undefined): string {
  return docs ? ` ([more](${docs}))` : '';
}

/** One row per flag: flag, variable, default, then what it does and the form of its value. */
export function flagTableMarkdown(): string {
  const rows = FLAGS.map((f) => {
    const form = f.boolean ? 'given bare, or true or false' : f.form;
    return [
      `\`--${f.flag}\``,
      f.env ? `\`${f.env}\`` : '',
      f.default !== undefined ? `\`${f.default}\`` : 'none',
      `${cell(f.help)} Expected: ${cell(form)}.${seeAlso(f.docs)}`,
    ];
  });
  const modes = MODE_FLAGS.map((f) => [
    `\`--${f.flag}\``,
    '',
    '',
    `${cell(f.help)}${seeAlso('docs' in f ? f.docs : undefined)}`,
  ]);
  return [
    '| flag | environment variable | default | what it does; the form of its value |',
    '| --- | --- | --- | --- |',
    ...[...rows, ...modes].map((columns) => `| ${columns.join(' | ')} |`),
  ].join('\n');
}
