/**
 * A rendered pod as podman runs it: the container's image, command, arguments and environment,
 * its security context, memory limit and Secret volumes, as the kubelet would give them. Whatever
 * the translation does not know throws, so that a new field in the manifest cannot go untested.
 */
import { chmodSync, chownSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Container, PodSpec, Probe, Volume } from './render';

/** A Secret as `kubectl create secret ... -o json` prints it. */
export interface SecretObject {
  metadata: { name: string };
  data: Record<string, string>;
}

/**
 * The Secret volume as the kubelet lays it out: the keys in a timestamped folder, `..data`
 * linking to it and each key a link through `..data`; with fsGroup, group-owned and group-readable.
 */
export function secretVolumeDir(
  dir: string,
  volume: Volume,
  secret: SecretObject,
  fsGroup: number | undefined,
): string {
  const source = volume.secret as NonNullable<Volume['secret']>;
  const stamp = '..2026_12_01_00_00_00.000000001';
  mkdirSync(join(dir, stamp), { recursive: true, mode: 0o755 });
  const items = source.items ?? Object.keys(secret.data).map((key) => ({ key, path: key, mode: undefined }));
  for (const item of items) {
    const value = secret.data[item.key];
    if (value === undefined)
      throw new Error(`Secret ${secret.metadata.name} has no key ${item.key} for volume ${volume.name}`);
    const file = join(dir, stamp, item.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.from(value, 'base64'));
    let mode = item.mode ?? source.defaultMode ?? 0o644;
    if (fsGroup !== undefined) {
      chownSync(file, 0, fsGroup);
      mode |= 0o440;
    }
    chmodSync(file, mode);
    const top = item.path.split('/')[0] as string;
    try {
      symlinkSync(join('..data', top), join(dir, top));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  symlinkSync(stamp, join(dir, '..data'));
  return dir;
}

const MEMORY_UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9 };

export function memoryBytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`cannot read the memory quantity ${quantity}`);
  return Number(match[1]) * (match[2] ? (MEMORY_UNITS[match[2]] as number) : 1);
}

const UNSUPPORTED_POD_FIELDS = [
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'shareProcessNamespace',
  'initContainers',
  'hostAliases',
  'dnsConfig',
];
const UNSUPPORTED_CONTAINER_FIELDS = ['envFrom', 'workingDir', 'lifecycle', 'stdin', 'tty'];

/**
 * `podman run` options and trailing arguments for one container of the pod: its user, groups,
 * read-only root (without podman's extra tmpfs mounts, which Kubernetes does not give), dropped
 * capabilities, no-new-privileges, the memory limit, the environment (secretKeyRef resolved) and
 * the Secret volumes from `volumeDirs` (volume name to a folder from secretVolumeDir).
 */
export function podmanRunArgs(
  pod: PodSpec,
  container: Container,
  secrets: Map<string, SecretObject>,
  volumeDirs: Map<string, string>,
): { options: string[]; args: string[] } {
  const unsupported = [
    ...UNSUPPORTED_POD_FIELDS.filter((field) => pod[field] !== undefined),
    ...UNSUPPORTED_CONTAINER_FIELDS.filter(
      (field) => (container as unknown as Record<string, unknown>)[field] !== undefined,
    ),
  ];
  // Service links would add variables this translation does not make.
  if (pod.enableServiceLinks !== false) unsupported.push('enableServiceLinks (not false)');
  if (unsupported.length > 0) throw new Error(`the pod test cannot reproduce: ${unsupported.join(', ')}`);

  const podContext = pod.securityContext ?? {};
  const context = { ...podContext, ...container.securityContext };
  const options: string[] = [];
  const uid = context.runAsUser as number | undefined;
  const gid = context.runAsGroup as number | undefined;
  if (uid === undefined)
    throw new Error('runAsUser is not set: the kubelet could not check runAsNonRoot against a numeric user');
  if (context.runAsNonRoot === true && uid === 0)
    throw new Error('runAsNonRoot with runAsUser 0: the kubelet refuses to start it');
  options.push('--user', gid === undefined ? `${uid}` : `${uid}:${gid}`);
  const fsGroup = podContext.fsGroup as number | undefined;
  if (fsGroup !== undefined) options.push('--group-add', String(fsGroup));
  if (context.readOnlyRootFilesystem === true) options.push('--read-only', '--read-only-tmpfs=false');
  if (context.allowPrivilegeEscalation === false) options.push('--security-opt=no-new-privileges');
  const seccomp = (context.seccompProfile as { type?: string } | undefined)?.type;
  // podman's default seccomp profile is the runtime default.
  if (seccomp !== undefined && seccomp !== 'RuntimeDefault')
    throw new Error(`seccomp profile ${seccomp}: only RuntimeDefault is reproduced`);
  for (const cap of container.securityContext?.capabilities?.drop ?? [])
    options.push(`--cap-drop=${cap.toLowerCase()}`);
  for (const cap of container.securityContext?.capabilities?.add ?? []) options.push(`--cap-add=${cap.toLowerCase()}`);
  const memory = container.resources?.limits?.memory;
  if (memory) options.push('--memory', String(memoryBytes(memory)));

  for (const env of container.env ?? []) {
    if (env.value !== undefined) options.push('-e', `${env.name}=${env.value}`);
    else if (env.valueFrom?.secretKeyRef) {
      const { name, key, optional } = env.valueFrom.secretKeyRef;
      const value = secrets.get(name)?.data[key];
      if (value !== undefined) options.push('-e', `${env.name}=${Buffer.from(value, 'base64').toString('utf8')}`);
      else if (!optional)
        throw new Error(`${env.name}: Secret ${name} has no key ${key}; the kubelet would not start the container`);
    } else throw new Error(`${env.name}: only values and secretKeyRef are reproduced`);
  }

  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume?.secret || mount.subPath !== undefined)
      throw new Error(`volume ${mount.name}: only whole Secret volumes are reproduced`);
    const dir = volumeDirs.get(mount.name);
    if (!dir) throw new Error(`volume ${mount.name}: no folder made for it`);
    options.push('-v', `${dir}:${mount.mountPath}:${mount.readOnly === false ? 'rw' : 'ro'}`);
  }
  if (container.command) options.push('--entrypoint', JSON.stringify(container.command));
  return { options, args: container.args ?? [] };
}

/** The probe's URL on the pod's loopback: its scheme, path and port, a named one resolved. */
export function probeUrl(container: Container, probe: Probe | undefined): string {
  if (!probe?.httpGet) throw new Error(`container ${container.name}: not an httpGet probe`);
  const { path, port } = probe.httpGet;
  const number = typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
  if (number === undefined) throw new Error(`container ${container.name}: no port named ${port}`);
  return `${probe.httpGet.scheme === 'HTTPS' ? 'https' : 'http'}://127.0.0.1:${number}${path}`;
}

/**
 * Updates a Secret volume made by secretVolumeDir as the kubelet does: the new keys in a new
 * timestamped folder, a `..data_tmp` link to it renamed over `..data` (one atomic step), the old
 * folder removed. The visible files (links through `..data`) change all at once.
 */
export function kubeletSwap(dir: string, files: Record<string, string>, stamp: string): void {
  const old = readlinkSync(join(dir, '..data'));
  mkdirSync(join(dir, stamp), { mode: 0o755 });
  for (const [key, content] of Object.entries(files)) {
    writeFileSync(join(dir, stamp, key), content, { mode: 0o644 });
    try {
      symlinkSync(join('..data', key), join(dir, key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  symlinkSync(stamp, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  rmSync(join(dir, old), { recursive: true, force: true });
}
