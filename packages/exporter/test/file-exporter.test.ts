import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProfile, encodeProfileSync, isGzip, ProfileBuilder, sampleTypesOf, stringAt, totalsByFunction, type Logger } from '@vigil/core';
import { fileExporter } from '@vigil/exporter';
import { batchOf, fullBatch, heapProfile, PERIOD, wallProfile } from './helpers/profiles';

const signal = () => new AbortController().signal;
const hasGo = spawnSync('go', ['version']).status === 0;

function commentsOf(file: string): string[] {
  const profile = decodeProfile(readFileSync(file));
  return profile.comment.map((i) => stringAt(profile, i));
}

function mountTmpfs(dir: string, options: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status === 0;
}

describe('fileExporter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('writes one gzip pprof per profile type, named {prefix}{type}_{pid}_{threadId}_{time}.pprof, with tags as comments', async () => {
    const exporter = fileExporter({ directory: dir, prefix: 'app-' });
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    const files = readdirSync(dir).sort();
    const time = '20261125T180100.000Z';
    expect(files).toEqual(['cpu', 'events', 'lock', 'space', 'wall'].map((t) => `app-${t}_${process.pid}_0_${time}.pprof`));
    for (const f of files) expect(isGzip(readFileSync(join(dir, f)))).toBe(true);
    const wall = decodeProfile(readFileSync(join(dir, files[4]!)));
    expect(sampleTypesOf(wall)).toEqual([['sample', 'count'], ['wall', 'nanoseconds']]);
    expect(totalsByFunction(wall, 'wall').total).toBe(100_000_000);
    expect(BigInt(wall.timeNanos)).toBe(BigInt(PERIOD.startMs) * 1_000_000n);
    expect(commentsOf(join(dir, files[4]!))).toEqual(expect.arrayContaining([
      'service:web-service', 'env:production', 'version:2.1.0', 'team:backend', `process_id:${process.pid}`, 'profile_seq:2',
      `start:${new Date(PERIOD.startMs).toISOString()}`, `end:${new Date(PERIOD.endMs).toISOString()}`,
    ]));
    // No temp files left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  (hasGo ? test : test.skip)('go tool pprof reads the files, comments included', async () => {
    const exporter = fileExporter({ directory: dir });
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    const wallFile = join(dir, readdirSync(dir).find((f) => f.startsWith('wall_'))!);
    const top = execFileSync('go', ['tool', 'pprof', '-top', '-sample_index=wall', wallFile], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
    expect(top).toMatch(/hotLoop/);
    expect(top).toMatch(/coldPath/);
    const comments = execFileSync('go', ['tool', 'pprof', '-comments', wallFile], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
    expect(comments).toContain('service:web-service');
    const lockFile = join(dir, readdirSync(dir).find((f) => f.startsWith('lock_'))!);
    expect(execFileSync('go', ['tool', 'pprof', '-top', '-sample_index=lock-acquire-wait', lockFile], { encoding: 'utf8', env: { ...process.env, HOME: dir } })).toMatch(/hotLoop/);
  }, 60_000);

  test('never overwrites: the same period twice gives a second file; exportSync writes too', async () => {
    const exporter = fileExporter({ directory: dir });
    const batch = batchOf([{ type: 'space', profile: heapProfile() }]);
    expect(await exporter.export(batch, signal())).toEqual({ ok: true });
    expect(await exporter.export(batch, signal())).toEqual({ ok: true });
    expect(exporter.exportSync!(batch)).toEqual({ ok: true });
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(3);
    const stem = `space_${process.pid}_0_20261125T180100.000Z`;
    expect(files).toEqual([`${stem}.pprof`, `${stem}_1.pprof`, `${stem}_2.pprof`]);
    for (const f of files) expect(sampleTypesOf(decodeProfile(readFileSync(join(dir, f))))).toEqual([['inuse_objects', 'count'], ['inuse_space', 'bytes']]);
  });

  test('a period is written through the thread pool, a stopping profiler\'s last one at once', async () => {
    const exporter = fileExporter({ directory: dir });
    const pprofFiles = () => readdirSync(dir).filter((f) => f.endsWith('.pprof'));
    const regular = exporter.export(fullBatch(), signal());
    expect(pprofFiles()).toEqual([]); // gzip and the writes wait for the thread pool
    expect(await regular).toEqual({ ok: true });
    expect(pprofFiles()).toHaveLength(5);
    const final = fullBatch();
    const last = exporter.export({ ...final, period: { ...final.period, final: true } }, signal());
    expect(pprofFiles()).toHaveLength(10); // written before export() returned
    expect(await last).toEqual({ ok: true });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a prefix with a folder part (DD_PROFILING_OUTPUT_PPROF style) creates the folder; type names cannot escape it', async () => {
    const exporter = fileExporter({ prefix: join(dir, 'nested', 'deeper', 'svc-') });
    const batch = batchOf([{ type: '../../../../tmp/evil', profile: wallProfile() }]);
    expect(await exporter.export(batch, signal())).toEqual({ ok: true });
    const files = readdirSync(join(dir, 'nested', 'deeper'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^svc-[^/]*tmp_evil_\d+_0_.*\.pprof$/);
    expect(readdirSync(dir).sort()).toEqual(['nested']);
  });

  test('an unwritable folder is a logged error and a failed result, not a crash', async () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const errors: string[] = [];
    const logger: Logger = { error: (m) => errors.push(m), warn: () => undefined, info: () => undefined, debug: () => undefined };
    const exporter = fileExporter({ directory: join(blocker, 'sub'), logger });
    const result = await exporter.export(fullBatch(), signal());
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message).toMatch(/ENOTDIR|EEXIST/);
    expect(exporter.exportSync!(fullBatch()).ok).toBe(false);
    // Once per kind, however many profiles failed.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('could not write');
  });

  describe('on small file systems (needs permission to mount tmpfs)', () => {
    let mountDir: string;
    let mounted = false;
    afterEach(() => {
      if (mounted) spawnSync('umount', [mountDir]);
      mounted = false;
    });

    test('a full disk is a failed result, leaves no partial or temp file, and the next period works once there is room', async () => {
      mountDir = join(dir, 'small');
      mkdirSync(mountDir);
      mounted = mountTmpfs(mountDir, 'size=256k');
      if (!mounted) return console.warn('skipped: cannot mount tmpfs here');
      writeFileSync(join(mountDir, 'filler'), Buffer.alloc(250 * 1024, 1));
      const exporter = fileExporter({ directory: mountDir });
      const big = new ProfileBuilder({ sampleTypes: [['sample', 'count']] });
      for (let i = 0; i < 3000; i++) big.addSample([{ name: `f${i}`, file: `/x/${i * 7919}.js` }], [i]);
      // Bigger than the room left (6 KiB), smaller than the whole disk.
      expect(encodeProfileSync(big.build()).length).toBeGreaterThan(20 * 1024);
      expect(encodeProfileSync(big.build()).length).toBeLessThan(200 * 1024);
      const result = await exporter.export(batchOf([{ type: 'wall', profile: big.build() }]), signal());
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error.message).toMatch(/ENOSPC/);
      expect(exporter.exportSync!(batchOf([{ type: 'wall', profile: big.build() }])).ok).toBe(false);
      expect(readdirSync(mountDir)).toEqual(['filler']);
      rmSync(join(mountDir, 'filler'));
      expect(await exporter.export(batchOf([{ type: 'wall', profile: big.build() }]), signal())).toEqual({ ok: true });
      expect(readdirSync(mountDir).filter((f) => f.endsWith('.pprof'))).toHaveLength(1);
    });

    test('a read-only folder is a failed result', async () => {
      mountDir = join(dir, 'ro');
      mkdirSync(mountDir);
      mounted = mountTmpfs(mountDir, 'ro,size=64k');
      if (!mounted) return console.warn('skipped: cannot mount tmpfs here');
      const exporter = fileExporter({ directory: mountDir });
      const result = await exporter.export(fullBatch(), signal());
      expect(!result.ok && result.error.message).toMatch(/EROFS/);
    });
  });
});
