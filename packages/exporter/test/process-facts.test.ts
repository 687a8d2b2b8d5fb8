import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentExporter } from '@vigil/exporter';
import { containerHeaders, containerIdentityFrom } from '../src/container-identity';
import { gitMetadata } from '../src/git-metadata';
import { processTags } from '../src/process-tags';
import { IntakeServer, part } from './helpers/intake-server';
import { batchOf, wallProfile } from './helpers/profiles';

const ID64 = '3726184226f5d3147c25fdeab5b60097e378e8a720503a5e19ecfdf29f869860';
const noInode = () => undefined;

describe('container identity, read as dd-trace-js reads it', () => {
  test.each([
    ['docker (cgroup v1)', `13:name=systemd:/docker/${ID64}\n12:pids:/docker/${ID64}\n`, ID64],
    ['kubernetes with a .scope', `1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2d3da189_6407_48e3_9ab6_78188d75e609.slice/docker-${ID64}.scope\n`, ID64],
    ['ECS task', '1:name=systemd:/ecs/34dc0b5e626f2c5c4c5170e34b10e765-1234567890\n', '34dc0b5e626f2c5c4c5170e34b10e765-1234567890'],
    ['PCF / Garden', '1:name=systemd:/system.slice/garden.service/garden/6f265890-5165-7fab-6b52-18d1\n', '6f265890-5165-7fab-6b52-18d1'],
  ])('%s: Datadog-Container-ID and Datadog-Entity-ID ci-<id>', (_name, cgroup, id) => {
    const identity = containerIdentityFrom({ cgroup, mountinfo: '', cgroupInode: noInode });
    expect(identity).toEqual({ containerId: id, entityId: `ci-${id}` });
    expect(containerHeaders(identity, {})).toEqual({ 'Datadog-Container-ID': id, 'Datadog-Entity-ID': `ci-${id}` });
  });

  test('cgroup v2 with a private namespace (0::/): the id from mountinfo, else the cgroup inode', () => {
    const mountinfo = `608 584 254:1 /docker/containers/${ID64}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw\n`;
    expect(containerIdentityFrom({ cgroup: '0::/\n', mountinfo, cgroupInode: noInode })).toEqual({ containerId: ID64, entityId: `ci-${ID64}` });
    const stats: string[] = [];
    const byInode = containerIdentityFrom({ cgroup: '0::/system.slice/app.service\n', mountinfo: '', cgroupInode: (p) => (stats.push(p), 4242) });
    expect(byInode).toEqual({ entityId: 'in-4242' });
    expect(stats).toEqual(['system.slice/app.service']);
    expect(containerHeaders(byInode, { DD_EXTERNAL_ENV: 'it-false,cn-app,pu-abc' })).toEqual({ 'Datadog-Entity-ID': 'in-4242', 'Datadog-External-Env': 'it-false,cn-app,pu-abc' });
  });

  test('no cgroup file (macOS, a sandbox): no headers; a header value with a line break is left out', () => {
    expect(containerIdentityFrom({ cgroup: '', mountinfo: '', cgroupInode: noInode })).toEqual({});
    expect(containerHeaders({}, { DD_EXTERNAL_ENV: 'a\r\nX-Injected: 1' })).toEqual({});
  });
});

describe('git metadata, found as dd-trace-js finds it', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vigil-git-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const sha = 'a'.repeat(40);

  test('DD_GIT_* first, credentials removed; the tags next', () => {
    expect(gitMetadata({ DD_GIT_REPOSITORY_URL: 'https://user:token@github.com/org/app.git', DD_GIT_COMMIT_SHA: sha }, {}, dir)).toEqual({ repositoryUrl: 'https://github.com/org/app.git', commitSha: sha });
    expect(gitMetadata({}, { 'git.repository_url': 'git@github.com:org/app.git', 'git.commit.sha': sha }, dir)).toEqual({ repositoryUrl: 'git@github.com:org/app.git', commitSha: sha });
    expect(gitMetadata({ DD_TRACE_GIT_METADATA_ENABLED: 'false', DD_GIT_COMMIT_SHA: sha }, {}, dir)).toEqual({});
  });

  test('git.properties, then a real .git folder (origin URL and HEAD, packed refs too)', () => {
    writeFileSync(join(dir, 'git.properties'), `git.commit.sha=${sha}\ngit.repository_url=https://github.com/org/props\n`);
    expect(gitMetadata({}, {}, dir)).toEqual({ repositoryUrl: 'https://github.com/org/props', commitSha: sha });
    rmSync(join(dir, 'git.properties'));

    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
    if (spawnSync('git', ['--version']).status !== 0) throw new Error('git is needed for this test');
    git('init', '-q', '-b', 'main');
    git('remote', 'add', 'origin', 'https://ci:secret@git.example.com/org/real.git');
    writeFileSync(join(dir, 'a.txt'), 'a');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'first');
    const head = git('rev-parse', 'HEAD');
    expect(gitMetadata({}, {}, dir)).toEqual({ repositoryUrl: 'https://git.example.com/org/real.git', commitSha: head });
    git('pack-refs', '--all');
    expect(gitMetadata({}, {}, dir).commitSha).toBe(head);
    expect(gitMetadata({ DD_GIT_FOLDER_PATH: join(dir, 'nowhere') }, {}, dir)).toEqual({});
  });
});

describe('process tags', () => {
  test('as dd-trace-js builds them: entrypoint, workdir, package name, sanitized, svc.user or svc.auto', () => {
    const root = mkdtempSync(join(tmpdir(), 'vigil-ptags-'));
    try {
      mkdirSync(join(root, 'My App', 'bin'), { recursive: true });
      writeFileSync(join(root, 'My App', 'package.json'), JSON.stringify({ name: '@acme/Web Shop' }));
      const entrypoint = join(root, 'My App', 'bin', 'Server.mjs');
      expect(processTags({ entrypoint, cwd: join(root, 'My App'), service: 'shop', serviceInferred: false }))
        .toBe('entrypoint.basedir:bin,entrypoint.name:server,entrypoint.type:script,entrypoint.workdir:my_app,package.json.name:_acme/web_shop,svc.user:true');
      expect(processTags({ entrypoint: '', cwd: join(root, 'My App'), service: 'node', serviceInferred: true }))
        .toBe('entrypoint.type:script,entrypoint.workdir:my_app,package.json.name:_acme/web_shop,svc.auto:node');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the upload carries them', () => {
  let server: IntakeServer;
  let url: string;
  beforeEach(async () => {
    server = new IntakeServer();
    url = await server.listen();
  });
  afterEach(() => server.close());

  test('host tag under DD_TRACE_REPORT_HOSTNAME, git tags, process_tags, libuv pool size, activation and ssi', async () => {
    const exporter = agentExporter({
      url,
      env: { DD_TRACE_REPORT_HOSTNAME: 'true', DD_GIT_REPOSITORY_URL: 'https://github.com/org/app', DD_GIT_COMMIT_SHA: 'b'.repeat(40), UV_THREADPOOL_SIZE: '16x', DD_PROFILING_ENABLED: 'auto', DD_INJECTION_ENABLED: 'tracer', AWS_LAMBDA_FUNCTION_NAME: 'fn' },
    });
    expect((await exporter.export(batchOf([{ type: 'wall', profile: wallProfile() }]), new AbortController().signal)).ok).toBe(true);
    await exporter.shutdown();
    const event = JSON.parse(part(server.accepted[0]!, 'event').data.toString());
    const tags = String(event.tags_profiler).split(',');
    const hostname = event.info.platform.hostname as string;
    expect(hostname).toBeTruthy();
    expect(tags).toEqual(expect.arrayContaining([`host:${hostname}`, 'git.repository_url:https://github.com/org/app', `git.commit.sha:${'b'.repeat(40)}`, 'functionname:fn']));
    expect(event.info.runtime.libuv_threadpool_size).toBe(16);
    expect(event.info.profiler).toMatchObject({ activation: 'auto', ssi: { mechanism: 'injected_agent' }, serverless: false, hasMissingSourceMaps: false, settings: { profilerTypes: ['wall'], uploadCompression: { method: 'gzip' } } });
    expect(event.process_tags).toMatch(/(^|,)entrypoint\.type:script(,|$)/);
  });

  test('without DD_TRACE_REPORT_HOSTNAME: no host tag and no hostname; no git tags when only one of the two is known', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-nogit-'));
    const exporter = agentExporter({ url, env: { DD_GIT_COMMIT_SHA: 'c'.repeat(40), DD_GIT_FOLDER_PATH: dir, DD_GIT_PROPERTIES_FILE: join(dir, 'none') } });
    expect((await exporter.export(batchOf([{ type: 'wall', profile: wallProfile() }]), new AbortController().signal)).ok).toBe(true);
    await exporter.shutdown();
    rmSync(dir, { recursive: true, force: true });
    const event = JSON.parse(part(server.accepted[0]!, 'event').data.toString());
    expect(String(event.tags_profiler)).not.toMatch(/(^|,)(host|git\.commit\.sha|git\.repository_url):/);
    expect(event.info.platform.hostname).toBeUndefined();
    expect(event.info.runtime.libuv_threadpool_size).toBeUndefined();
  });

  test('agentless: https://intake.profile.{DD_SITE} by default, DD_AGENTLESS_ENABLED as dd-trace-js names it, VIGIL_PROFILING_INTAKE_URL to relay', async () => {
    expect(agentExporter({ env: { DD_PROFILING_AGENTLESS: 'true', DD_API_KEY: 'k', DD_SITE: 'datadoghq.eu' } }).destination).toBe('https://intake.profile.datadoghq.eu');
    expect(agentExporter({ env: { DD_AGENTLESS_ENABLED: 'true', DD_API_KEY: 'k', DD_SITE: 'us3.datadoghq.com' } }).destination).toBe('https://intake.profile.us3.datadoghq.com');
    const exporter = agentExporter({ env: { DD_AGENTLESS_ENABLED: 'true', DD_API_KEY: 'key-1', VIGIL_PROFILING_INTAKE_URL: url } });
    expect((await exporter.export(batchOf([{ type: 'wall', profile: wallProfile() }]), new AbortController().signal)).ok).toBe(true);
    await exporter.shutdown();
    expect(server.accepted[0]!.url).toBe('/api/v2/profile');
    expect(server.accepted[0]!.headers['dd-api-key']).toBe('key-1');
  });
});
