import { readFileSync, statSync } from 'node:fs';

/**
 * Where this process runs, as the Datadog agent identifies it: the container id (Docker,
 * containerd, CRI-O, ECS tasks, PCF/Garden) or, where the cgroup names no container, the inode of
 * the process's cgroup folder, which the agent maps back to a container itself. The agent tags the
 * profile with the container's and the pod's tags from these headers.
 */
export interface ContainerIdentity {
  readonly containerId?: string;
  /** `ci-<container id>`, else `in-<cgroup inode>`. */
  readonly entityId?: string;
}

// Facts from DataDog/dd-trace-js `exporters/common/docker.js` (and the agent's cgroup reader): a
// container id is a UUID (with `-` or `_`), 64 hex digits, or an ECS task id (32 hex + `-` + digits),
// as the last segment of a cgroup path, optionally ending in `.scope`.
const UUID = '[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{8}(?:-[0-9a-f]{4}){4}$';
const CONTAINER = '[0-9a-f]{64}';
const TASK = '[0-9a-f]{32}-\\d+';
const CGROUP_CONTAINER = new RegExp(`(?:^|/)[^/\\r\\n\\u2028\\u2029]*?(${UUID}|${CONTAINER}|${TASK})(?:\\.scope)?$`, 'm');
const CGROUP_LINE = /^(\d+):([^:]*):(.+)$/m;
// With cgroup v2 and a private cgroup namespace, /proc/self/cgroup reads `0::/`. The container id
// then still shows in the mount of the files the runtime writes for it (hostname, hosts,
// resolv.conf), under `.../containers/<id>/` (Docker) or `.../sandboxes/<id>/` (containerd/CRI-O),
// which is where Datadog's other tracers look.
const MOUNTINFO_CONTAINER = /\/(?:containers|sandboxes)\/([0-9a-f]{64})\/(?:hostname|hosts|resolv\.conf)\b/;

/** What the identity is computed from: the text of /proc/self/cgroup and /proc/self/mountinfo, and a way to stat a cgroup folder. */
export interface ContainerIdentitySources {
  readonly cgroup: string;
  readonly mountinfo: string;
  /** Inode of `/sys/fs/cgroup/<path>`, or undefined when it cannot be read. */
  readonly cgroupInode: (relativePath: string) => number | undefined;
}

/** The identity from the given sources; pure, so every format can be tested with real file contents. */
export function containerIdentityFrom(sources: ContainerIdentitySources): ContainerIdentity {
  const cgroup = sources.cgroup.trim();
  const containerId = cgroup.match(CGROUP_CONTAINER)?.[1] ?? sources.mountinfo.match(MOUNTINFO_CONTAINER)?.[1];
  if (containerId) return { containerId, entityId: `ci-${containerId}` };
  const path = cgroup.match(CGROUP_LINE)?.[3];
  const inode = path ? sources.cgroupInode(path.replace(/^\/|\/$/g, '')) : undefined;
  return inode ? { entityId: `in-${inode}` } : {};
}

let cached: ContainerIdentity | undefined;

/** This process's identity, read once (the files do not change while it runs). Empty outside Linux containers and on any read error. */
export function containerIdentity(): ContainerIdentity {
  cached ??= containerIdentityFrom({
    cgroup: readOrEmpty('/proc/self/cgroup'),
    mountinfo: readOrEmpty('/proc/self/mountinfo'),
    cgroupInode: (relative) => {
      try {
        return statSync(`/sys/fs/cgroup/${relative}`).ino;
      } catch {
        return undefined;
      }
    },
  });
  return cached;
}

/**
 * The headers dd-trace-js sends with every upload so the agent can tag it with container and pod
 * tags: `Datadog-Container-ID`, `Datadog-Entity-ID`, and `Datadog-External-Env` from DD_EXTERNAL_ENV
 * (set by the admission controller in Kubernetes).
 */
export function containerHeaders(identity: ContainerIdentity, env: Readonly<NodeJS.ProcessEnv>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (identity.containerId) headers['Datadog-Container-ID'] = identity.containerId;
  if (identity.entityId) headers['Datadog-Entity-ID'] = identity.entityId;
  const external = env.DD_EXTERNAL_ENV;
  // A header value with control characters would make the request throw: leave such a value out.
  if (external && /^[\x20-\x7e]+$/.test(external)) headers['Datadog-External-Env'] = external;
  return headers;
}

function readOrEmpty(path: string): string {
  try {
    // /proc files are small; bounded anyway so an odd mount cannot make us read much.
    return readFileSync(path, 'utf8').slice(0, 1 << 20);
  } catch {
    return '';
  }
}
