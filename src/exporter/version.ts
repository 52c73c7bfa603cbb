import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// package.json sits two levels above both src/exporter/ (ts-jest) and dist/exporter/ (built code).
const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

export const EXPORTER_NAME = 'itniotech-exporter';
export const EXPORTER_VERSION: string = pkg.version;
