import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const packageDir = join(__dirname, '..');
// esbuild comes with the workspace's build tools (tsup); a clean install links no .bin for it.
const esbuild = join(dirname(require.resolve('esbuild/package.json', { paths: [dirname(require.resolve('tsup'))] })), 'bin', 'esbuild');
const appDir = join(packageDir, 'test/fixtures/orders-app');

function sampleBundle(bundle: string, sourceMaps: 'on' | 'off'): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageDir, 'test/fixtures/sample-bundle.ts'), bundle, sourceMaps], { cwd: packageDir });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

/** The 1-based line of the first line of `file` containing `text`. */
function lineOf(file: string, text: string): number {
  return readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
}

describe('source maps', () => {
  test('esbuild is there to build the bundles', () => expect(existsSync(esbuild)).toBe(true));

  const outDir = mkdtempSync(join(tmpdir(), 'vigil-sourcemap-'));
  const build = (name: string, sourcemap: string) => {
    const outfile = join(outDir, name, 'dist/index.js');
    const result = spawnSync(esbuild, [join(appDir, 'src/index.ts'), '--bundle', '--minify', '--platform=node', '--format=cjs', `--sourcemap${sourcemap}`, `--outfile=${outfile}`]);
    if (result.status !== 0) throw new Error(String(result.stderr));
    return outfile;
  };
  const orders = join(appDir, 'src/orders.ts');
  // Which of the two is hotter is V8's business: it may inline one into the other.
  const expected = [
    `totalOfOrders@${orders}:${lineOf(orders, 'export function totalOfOrders')}`,
    `priceOrdersFor@${orders}:${lineOf(orders, 'export function priceOrdersFor')}`,
  ];

  it('shows a minified bundle\'s hotspots with their TypeScript names and lines (external .map file)', async () => {
    const top = await sampleBundle(build('external', ''), 'on');
    expect(expected).toContain(top[0]);
    expect(top.filter((frame) => frame.includes('/dist/index.js'))).toEqual([]);
  });

  it('reads inline source maps too', async () => {
    const top = await sampleBundle(build('inline', '=inline'), 'on');
    expect(expected).toContain(top[0]);
    expect(top.filter((frame) => frame.includes('/dist/index.js'))).toEqual([]);
  });

  // Vigil's own bundles are the profiler's frames: their maps were read and parsed at every exit.
  it('leaves an installed Vigil package\'s frames unmapped (the app bundle above is mapped)', async () => {
    const top = await sampleBundle(build('node_modules/@vigil/orders', ''), 'on');
    expect(top[0]).toMatch(/^[a-z]@.*node_modules\/@vigil\/orders\/dist\/index\.js:1$/);
    expect(top.filter((frame) => frame.includes('orders.ts'))).toEqual([]);
  });

  it('leaves generated positions alone when source maps are off', async () => {
    const bundle = build('off', '');
    const top = await sampleBundle(bundle, 'off');
    expect(top[0]).toMatch(new RegExp(`^[a-z]@${bundle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1$`));
  });
});
