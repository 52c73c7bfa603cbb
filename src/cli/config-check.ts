import { configWarnings, type ExporterConfig } from '../config/config';

/** What --config.check prints for a valid configuration: its warnings, then a summary line. */
export function configCheckLines(config: ExporterConfig): string[] {
  return [
    ...configWarnings(config).map((warning) => `warning: ${warning}`),
    `configuration OK: ${config.accounts.length} account(s): ${config.accounts.map((a) => a.name).join(', ')}`,
  ];
}
