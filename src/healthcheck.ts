#!/usr/bin/env node
/**
 * Container health probe: GET /healthz on the exporter's own listener, over HTTPS when the web
 * config file turns TLS on. The listen address and web config file are found as the exporter
 * finds them: a flag, else its environment variable, else the default. The flags are the
 * probe's own arguments when it has any, otherwise those of the exporter beside it: in a
 * container that is PID 1, whose command line /proc/1/cmdline shows. Exits 0 when healthy.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseArgs } from 'node:util';
import { parseListenAddress } from './config/listen-address';
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

const own = process.argv.slice(2);
const { values: flags } = parseArgs({
  args: own.length > 0 ? own : exporterArgs(),
  options: { 'web.listen-address': { type: 'string' }, 'web.config.file': { type: 'string' } },
  strict: false,
  allowPositionals: true,
});
const setting = (flag: string, env: string): string | undefined => {
  const value = flags[flag];
  return typeof value === 'string' ? value : process.env[env] || undefined;
};

const listen = parseListenAddress(setting('web.listen-address', 'ITNIO_LISTEN_ADDRESS') ?? ':10042');
if (!listen) process.exit(1);
const wildcard = ['', '0.0.0.0', '::'].includes(listen.host);
const host = wildcard ? '127.0.0.1' : listen.host;
const tls = webConfigHasTls(setting('web.config.file', 'ITNIO_WEB_CONFIG_FILE'));
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
