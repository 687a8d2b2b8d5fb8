import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where a URL path of the UI is served from: a fixed table, so no request path ever reaches the file system. */
interface Asset {
  file: string;
  contentType: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The viewer package folder (src/ and dist/ both sit directly in it). */
function packageRoot(): string {
  const here = __dirname ?? process.cwd();
  return join(here, '..', existsSync(join(here, '..', 'package.json')) ? '' : '..');
}

/** A dependency's folder, found the way Node resolves packages (walking up node_modules), exports maps aside. */
export function dependencyDir(name: string): string {
  let dir = packageRoot();
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${name} package next to the viewer`);
    dir = parent;
  }
}

let table: Map<string, Asset> | undefined;

function assets(): Map<string, Asset> {
  if (table) return table;
  const ui = join(packageRoot(), 'ui');
  const d3 = dependencyDir('d3');
  const flame = dependencyDir('d3-flame-graph');
  table = new Map<string, Asset>([
    ['/', { file: join(ui, 'index.html'), contentType: 'text/html; charset=utf-8' }],
    ['/index.html', { file: join(ui, 'index.html'), contentType: 'text/html; charset=utf-8' }],
    ['/app.js', { file: join(ui, 'app.js'), contentType: JS }],
    ['/style.css', { file: join(ui, 'style.css'), contentType: CSS }],
    ['/favicon.svg', { file: join(ui, 'favicon.svg'), contentType: 'image/svg+xml' }],
    ['/favicon.ico', { file: join(ui, 'favicon.svg'), contentType: 'image/svg+xml' }],
    ['/vendor/d3.min.js', { file: join(d3, 'dist', 'd3.min.js'), contentType: JS }],
    ['/vendor/d3-flamegraph.min.js', { file: join(flame, 'dist', 'd3-flamegraph.min.js'), contentType: JS }],
    ['/vendor/d3-flamegraph.css', { file: join(flame, 'dist', 'd3-flamegraph.css'), contentType: CSS }],
  ]);
  return table;
}

/** The UI file for a URL path, or undefined when the path is not one of the viewer's assets. */
export async function readAsset(pathname: string): Promise<{ body: Buffer; contentType: string } | undefined> {
  const asset = assets().get(pathname);
  if (!asset) return undefined;
  return { body: await readFile(asset.file), contentType: asset.contentType };
}
