#!/usr/bin/env node
/**
 * Container health probe: GET /healthz on the exporter's own listener, over HTTPS when the web
 * config file turns TLS on. Reads the same environment variables as the exporter (flags given to the
 * exporter are not visible here). Exits 0 when healthy, 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseListenAddress } from './config/listen-address';
import { parseYamlFile } from './config/yaml-file';

/** HTTPS only when the web config turns TLS on; a basic-auth-only config still serves HTTP. */
function webConfigHasTls(file: string | undefined): boolean {
  if (!file) return false;
  try {
    const parsed = parseYamlFile(file, readFileSync(file, 'utf8'));
    return parsed.ok && typeof parsed.data === 'object' && parsed.data !== null && 'tls_server_config' in parsed.data;
  } catch {
    return false;
  }
}

const listen = parseListenAddress(process.env.ITNIO_LISTEN_ADDRESS || ':10042');
if (!listen) process.exit(1);
const wildcard = ['', '0.0.0.0', '::'].includes(listen.host);
const host = wildcard ? '127.0.0.1' : listen.host;
const tls = webConfigHasTls(process.env.ITNIO_WEB_CONFIG_FILE);
// The probe talks to this very process; the certificate is for its public name, not 127.0.0.1.
const request = tls ? httpsRequest : httpRequest;
const probe = request({ host, port: listen.port, path: '/healthz', timeout: 4000, ...(tls ? { rejectUnauthorized: false } : {}) }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
probe.on('timeout', () => probe.destroy(new Error('timeout')));
probe.on('error', () => process.exit(1));
probe.end();
