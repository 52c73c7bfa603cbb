/**
 * The package is not on the npm registry yet, and its name there is not ours to control: a
 * documented `npm install itniotech-exporter` or `npx itniotech-exporter` would run whatever a
 * stranger publishes under it, with the API key and secret in its environment. Such a command
 * may only appear marked as applying once the package is published; the ways that work today
 * (the `npm pack` tarball, a git URL) are the ones shown first.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const pkgName = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string }).name;

function markdownFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return markdownFiles(relative);
    return entry.name.endsWith('.md') ? [relative] : [];
  });
}

// The bare name as an npm or npx argument: not "./itniotech-exporter-0.1.0.tgz", not a path.
const REGISTRY_COMMAND = new RegExp(
  `\\b(?:npm\\s+(?:install|i|add)\\b[^\\n\`]*?\\s|npx\\s+(?:(?:--yes|-y)\\s+)?)${pkgName}(?=$|[\\s@\`])`,
);
const MARKED = /once (?:it is |the package is )?published/i;

test('every registry install or npx command in README.md and docs/ says it applies once published', () => {
  const unmarked: string[] = [];
  let seen = 0;
  for (const file of ['README.md', ...markdownFiles('docs')]) {
    readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (!REGISTRY_COMMAND.test(line)) return;
        seen++;
        if (!MARKED.test(line)) unmarked.push(`${file}:${index + 1}: ${line.trim()}`);
      });
  }
  expect(unmarked).toEqual([]);
  // The check itself finds the commands it is about (the npm page keeps them for later).
  expect(seen).toBeGreaterThan(0);
});

test('the pattern tells a registry command from the tarball and from paths inside the package', () => {
  expect(REGISTRY_COMMAND.test(`npm install --global ${pkgName}`)).toBe(true);
  expect(REGISTRY_COMMAND.test(`npx ${pkgName} --check`)).toBe(true);
  expect(REGISTRY_COMMAND.test(`npm install --global ./${pkgName}-0.1.0.tgz`)).toBe(false);
  expect(REGISTRY_COMMAND.test(`npx --package=./${pkgName}-0.1.0.tgz -- ${pkgName} --check`)).toBe(false);
  expect(REGISTRY_COMMAND.test(`"$(npm root --global)/${pkgName}/deploy/systemd/x.service"`)).toBe(false);
});
