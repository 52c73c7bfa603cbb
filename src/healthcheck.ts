#!/usr/bin/env node
/**
 * Container health probe: GET /healthz on the exporter's own listener, over HTTPS when the web
 * config file turns TLS on. The listen address and web config file are found by the exporter's own
 * command-line reader: a flag, else its environment variable, else the default. The flags are the
 * probe's own arguments when it has any, otherwise those of the exporter beside it: in a
 * container that is PID 1, whose command line /proc/1/cmdline shows. `--probe.tls`, the probe's own
 * flag, says HTTPS without a web config (the Helm chart's test pod). Exits 0 when healthy.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readCommandLine } from './config/flags';
import { parseListenAddress } from './config/listen-address';
import { Problems } from './config/problems';
import { readConfigFile } from './config/read-file';
import { webConfigTurnsTlsOn } from './config/web-config';
import { parseYamlFile } from './config/yaml-file';

/** The exporter's arguments after its script (`node [node flags] …/main.js ARGS`); none if PID 1 is something else. */
function exporterArgs(): string[] {
  try {
    const argv = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    const script = argv.findIndex((arg, i) => i > 0 && /(?:^|\/)(?:main\.js|itniotech-exporter)$/.test(arg));
    return script < 0 ? [] : argv.slice(script + 1).filter((arg) => arg !== '');
  } catch {
    return [];
  }
}

/** HTTPS exactly when the server serves it: the web config's tls_server_config turns TLS on. */
function webConfigHasTls(file: string | undefined): boolean {
  if (!file) return false;
  try {
    // readConfigFile: a FIFO or device named here must not hang the probe.
    const parsed = parseYamlFile(file, readConfigFile(file));
    return parsed.ok && webConfigTurnsTlsOn(parsed.data);
  } catch {
    return false;
  }
}

/** The probe's own flag, not the exporter's: HTTPS without reading the web config (`helm test` mounts none). */
const PROBE_TLS = '--probe.tls';
const own = process.argv.slice(2).filter((arg) => arg !== PROBE_TLS);
const forceTls = process.argv.includes(PROBE_TLS);
// The exporter's own reading of its flags, variables and defaults (src/config/flags.ts), so the
// probe never disagrees with it about a flag name or the default port. Problems are the exporter's
// to report: the probe just probes.
const args = readCommandLine(
  { argv: own.length > 0 ? own : exporterArgs(), env: process.env, readFile: readConfigFile },
  new Problems(),
);
// With several addresses, the first TCP one. Under socket activation the sockets come from systemd
// and the probe cannot see them: it probes the listen address given (docs/security.md).
const listen = args.all('web.listen-address').map((setting) => parseListenAddress(setting.value))[0];
if (!listen) process.exit(1);
const wildcard = ['', '0.0.0.0', '::'].includes(listen.host);
const host = wildcard ? '127.0.0.1' : listen.host;
const tls = forceTls || webConfigHasTls(args.optional('web.config.file')?.value);
// The probe talks to this very process; the certificate is for its public name, not 127.0.0.1.
const request = tls ? httpsRequest : httpRequest;
const probe = request(
  { host, port: listen.port, path: '/healthz', timeout: 4000, ...(tls ? { rejectUnauthorized: false } : {}) },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
probe.on('timeout', () => probe.destroy(new Error('timeout')));
probe.on('error', () => process.exit(1));
probe.end();
