import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cliBin, tempDir, vigil } from './helpers';

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(DD_|VIGIL_)/.test(key) || key === 'NODE_OPTIONS') delete env[key];
  return env;
}

describe('vigil leaks', () => {
  test('a program leaking at one site: that site is the first suspect', () => {
    const out = tempDir();
    const run = vigil(['run', '--out', out, '--period', '1', '--profilers', 'heap', '--', process.execPath, '--expose-gc', join(__dirname, 'fixtures', 'leaky.cjs')], { env: cleanEnv() });
    expect(run.code).toBe(0);
    const json = vigil(['leaks', out, '--json']);
    expect(json.code).toBe(0);
    const { profiles, suspects } = JSON.parse(json.stdout);
    expect(profiles).toBeGreaterThanOrEqual(6);
    expect(suspects[0]).toMatchObject({ rank: 1, name: 'leakyCache' });
    expect(suspects[0].growthBytesPerMinute).toBeGreaterThan(30 * 1024 * 1024);
    expect(vigil(['leaks', out]).stdout).toMatch(/leak suspects in \d+ heap profiles[\s\S]*\n\s*1\s+\+[\d.]+MiB\s.*leakyCache/);
  });

  test('files without heap profiles are a clear error', () => {
    const { code, stderr } = vigil(['leaks', join(__dirname)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no \.pprof files|not a heap profile|none of these files/);
  });
});

describe('vigil serve', () => {
  test('serves the viewer on the given port until SIGTERM, binding 127.0.0.1', async () => {
    const data = tempDir();
    const child = spawn(process.execPath, [cliBin, 'serve', '--port', '0', '--data-dir', data], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const url = await new Promise<string>((resolve, reject) => {
      const poll = setInterval(() => {
        const match = /vigil viewer listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match) {
          clearInterval(poll);
          resolve(match[1]!);
        }
      }, 20);
      child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const services = await (await fetch(`${url}/api/services`)).json();
    expect(services).toEqual({ services: [] });
    const page = await (await fetch(`${url}/`)).text();
    expect(page).toMatch(/<html/i);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
  });

  test('--help shows the one command-line surface the viewer README documents', () => {
    const { code, stdout } = vigil(['serve', '--help']);
    expect(code).toBe(0);
    for (const flag of ['--data-dir', '--max-body-mb', '--token', '--retention-mb', 'VIGIL_VIEWER_TOKEN', 'VIGIL_VIEWER_DATA_DIR']) expect(stdout).toContain(flag);
  });

  test('refuses to bind beyond loopback without a token, and an unknown flag is a usage error', () => {
    const open = vigil(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir()]);
    expect(open.code).not.toBe(0);
    expect(open.stderr).toMatch(/without a token/);
    const wrong = vigil(['serve', '--data', tempDir()]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/unknown option --data/);
  });
});
