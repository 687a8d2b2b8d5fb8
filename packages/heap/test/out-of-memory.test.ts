import { execFileSync, spawnSync } from 'node:child_process';
import { totalsByFunction } from '@vigil/core';
import { OUT_OF_MEMORY_COMMENT } from '@vigil/heap';
import { commentsOf, profilesIn, runApp } from './run-fixture';

const hasGo = spawnSync('go', ['version']).status === 0;

describe('out of memory', () => {
  it('writes a final heap profile naming the leaking function before the process dies', async () => {
    const run = await runApp('oom', { nodeArgs: ['--max-old-space-size=48'] });
    // The process still dies of the out-of-memory (we capture, we do not hide it).
    expect(run.code === 0 && run.signal === null).toBe(false);
    expect(run.stderr).toMatch(/heap out of memory/);
    const files = profilesIn(run.outDir, 'space_');
    expect(files).toHaveLength(1);
    expect(files[0]!.file).toMatch(/_sync\.pprof$/);
    const profile = files[0]!.profile;
    expect(commentsOf(profile)).toContain(OUT_OF_MEMORY_COMMENT);
    const top = totalsByFunction(profile, 'inuse_space').functions.filter((f) => f.name !== '(external)')[0];
    expect(top?.name).toBe('leakUntilDeath');
    if (hasGo) {
      const text = execFileSync('go', ['tool', 'pprof', '-top', files[0]!.file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(text).toMatch(/leakUntilDeath/);
    }
  });
});
