// Validates Kubernetes objects against the Kubernetes and prometheus-operator schemas
// (kubernetes-models, @kubernetes-models/prometheus-operator: ESM only, hence a child process of
// the jest test). Reads a JSON array of objects on stdin; prints a JSON array of
// { kind, name, error, unknown } with error null for a valid object. A kind without a schema is an error.
//
// The schemas' validators never look at a field they do not know, so a misspelt one passes them,
// where an API server with strict field validation refuses it. `unknown` lists such fields: every
// key of the object that the validator never read (it reads each field it knows, and enumerates maps).
import { readFileSync } from 'node:fs';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ConfigMap, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

const MODELS = {
  'apps/v1 Deployment': Deployment,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
  'v1 ConfigMap': ConfigMap,
  'v1 Pod': Pod,
  'v1 Secret': Secret,
  'v1 Service': Service,
  'v1 ServiceAccount': ServiceAccount,
  'monitoring.coreos.com/v1 PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1 ServiceMonitor': ServiceMonitor,
};

/** `value` behind proxies that record which keys of each plain object are read or enumerated. */
function tracked(value) {
  const nodes = [];
  const proxies = new Map();
  const wrap = (node, path) => {
    if (node === null || typeof node !== 'object') return node;
    if (proxies.has(node)) return proxies.get(node);
    const read = new Set();
    if (!Array.isArray(node)) nodes.push({ node, path, read });
    const proxy = new Proxy(node, {
      get(target, key, receiver) {
        const child = Reflect.get(target, key, receiver);
        if (typeof key !== 'string' || !Object.hasOwn(target, key)) return child;
        read.add(key);
        return wrap(child, Array.isArray(target) ? `${path}[${key}]` : `${path}.${key}`);
      },
      has(target, key) {
        read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        for (const key of Reflect.ownKeys(target)) read.add(key);
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(node, proxy);
    return proxy;
  };
  const root = wrap(value, '');
  const unknown = () =>
    nodes.flatMap(({ node, path, read }) =>
      Object.keys(node)
        .filter((k) => !read.has(k))
        .map((k) => `${path}.${k}`.slice(1)),
    );
  return { root, unknown };
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
const results = objects.map((object) => {
  const type = `${object.apiVersion} ${object.kind}`;
  const Model = MODELS[type];
  if (!Model)
    return {
      kind: object.kind,
      name: object.metadata?.name,
      error: `no schema for ${type} in ${import.meta.url}`,
      unknown: [],
    };
  let error = null;
  try {
    new Model(object).validate();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  // The same validator, run on the object itself behind the proxies.
  const { root, unknown } = tracked(object);
  try {
    Model.prototype.validate.call(root);
  } catch {
    // Reported above.
  }
  return { kind: object.kind, name: object.metadata?.name, error, unknown: unknown() };
});
process.stdout.write(JSON.stringify(results));
