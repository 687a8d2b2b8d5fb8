import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const distRegister = join(__dirname, '..', 'dist', 'register.js');

// The preload plus the app's own `new Profiler()` used to swallow SIGTERM and SIGINT: each took the
// other's listener for the app's handler, nobody re-raised, and the app ran on.
describe('the preload plus the app\'s own Profiler (built package, real signals)', () => {
  test.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s: both flush their last period once, then the process dies by the signal', async (sig) => {
    const preloadDir = mkdtempSync(join(tmpdir(), 'vigil-signal-preload-'));
    const ownDir = mkdtempSync(join(tmpdir(), 'vigil-signal-own-'));
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (/^(DD_|VIGIL_|OTEL_)/.test(key) || key === 'NODE_OPTIONS') delete env[key];
    const child = spawn(process.execPath, ['--require', distRegister, join(__dirname, 'fixtures', 'own-profiler-too.mjs')], {
      cwd: join(__dirname, '..'),
      env: { ...env, DD_PROFILING_ENABLED: 'true', DD_PROFILING_PROFILERS: 'cpu', DD_PROFILING_EXPORTERS: 'file', DD_PROFILING_OUTPUT_PPROF: `${preloadDir}/`, OWN_PROFILER_DIR: ownDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    child.kill(sig);
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const result = await exited;
    clearTimeout(killer);
    expect({ ...result, stderr }).toEqual({ code: null, signal: sig, stderr: '' });
    expect(readdirSync(preloadDir).filter((f) => f.startsWith('cpu_'))).toHaveLength(1);
    expect(readdirSync(ownDir).filter((f) => f.startsWith('cpu_'))).toHaveLength(1);
  });
});
