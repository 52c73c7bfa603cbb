/** Renders deploy/kubernetes with `kubectl kustomize` (offline) and validates the objects against their schemas. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../support/exporter-process';

export const KUBERNETES = join(ROOT, 'deploy', 'kubernetes');
export const CHART = join(ROOT, 'deploy', 'helm', 'itniotech-exporter');
/** CI's Helm 4 (.ci/helm), or `helm` on PATH. */
const HELM = process.env.ITNIO_TEST_HELM || 'helm';
const VALIDATOR = join(__dirname, 'validate-objects.mjs');

/** A rendered object: only the fields the tests read are typed; the rest is there as rendered. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Why the tests cannot render here, or [] when they can: kubectl with kustomize v5 or later. */
export function kustomizeMissing(): string[] {
  const run = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (run.error) return ['kubectl not installed (the machine image has it, with kustomize v5)'];
  const version = (JSON.parse(run.stdout) as { kustomizeVersion?: string }).kustomizeVersion ?? 'none';
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? 0);
  return major >= 5 ? [] : [`kubectl's kustomize is ${version}; deploy/kubernetes needs v5 (components, labels)`];
}

/** Why the chart tests cannot run here, or [] when they can: Helm 3.8 or later (values.schema.json, OCI). */
export function helmMissing(): string[] {
  const run = spawnSync(HELM, ['version', '--short'], { encoding: 'utf8' });
  if (run.error) return [`${HELM} not installed (CI takes Helm 4 from the npm registry: .ci/helm)`];
  return /^v[34]\./.test(run.stdout) ? [] : [`${HELM} is ${run.stdout.trim()}; the chart needs Helm 3 or 4`];
}

/** Runs helm with `args`; its exit status and output. */
export function helm(args: string[]): { status: number | null; output: string; stdout: string } {
  const run = spawnSync(HELM, args, { encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}`, stdout: run.stdout };
}

/** `helm template itniotech-exporter CHART --namespace monitoring` with `args` (values files, --set), parsed. */
export function helmTemplate(args: string[] = []): K8sObject[] {
  const run = helm(['template', 'itniotech-exporter', CHART, '--namespace', 'monitoring', ...args]);
  if (run.status !== 0) throw new Error(`helm template exited with ${run.status}:\n${run.output}`);
  return parseAllDocuments(run.stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw doc.errors[0];
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** `kubectl kustomize DIR` with its default load restrictions, parsed. */
export function render(dir: string): K8sObject[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} exited with ${run.status}:\n${run.stderr}`);
  return parseAllDocuments(run.stdout).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    return doc.toJS() as K8sObject;
  });
}

export interface Validation {
  kind: string;
  name: string;
  /** The schema's complaint, or null. */
  error: string | null;
  /** Fields the schema does not know (a misspelt one, say), as paths. */
  unknown: string[];
}

/** Each object against the Kubernetes or prometheus-operator schema of its kind (test/kubernetes/validate-objects.mjs). */
export function validate(objects: K8sObject[]): Validation[] {
  const run = spawnSync(process.execPath, [VALIDATOR], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`${VALIDATOR} exited with ${run.status}:\n${run.stderr}`);
  return JSON.parse(run.stdout) as Validation[];
}

export function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
  return found[0] as K8sObject;
}

// The parts of the Deployment the tests look into.
export interface Probe {
  httpGet?: { path: string; port: string | number; scheme?: 'HTTP' | 'HTTPS' };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; [source: string]: unknown };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: unknown[];
  ports?: Array<{ name?: string; containerPort: number; protocol?: string; hostPort?: number }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { add?: string[]; drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }>;
}

export interface Volume {
  name: string;
  secret?: {
    secretName: string;
    defaultMode?: number;
    items?: Array<{ key: string; path: string; mode?: number }>;
    optional?: boolean;
  };
  [source: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: Record<string, unknown>;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  terminationGracePeriodSeconds?: number;
  [field: string]: unknown;
}

export interface DeploymentSpec {
  replicas: number;
  strategy?: { type: string };
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

export function deploymentSpec(objects: K8sObject[]): DeploymentSpec {
  return only(objects, 'Deployment').spec as DeploymentSpec;
}

/** A container as the restricted Pod Security profile wants it (and the manifests give it): no privileges, no host port. */
export function expectRestrictedContainer(container: Container): void {
  expect(container.securityContext).toEqual({
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  expect(container.ports?.filter((p) => p.hostPort !== undefined) ?? []).toEqual([]);
}
