import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Users of lock() alone, or of a tracer we do not know, must not get the native addon or a tracer
// through this package: it may import only core and Node built-ins at run time.
describe('runtime imports of @vigil/tracing-correlation', () => {
  it('are @vigil/core and node built-ins only (no @datadog/pprof, @vigil/v8-sampler, OpenTelemetry or dd-trace)', () => {
    const srcDir = join(__dirname, '..', 'src');
    const imported = new Set<string>();
    for (const file of readdirSync(srcDir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(srcDir, file), 'utf8');
      for (const match of source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)) imported.add(match[1]);
      for (const match of source.matchAll(/require\(\s*'([^']+)'\s*\)/g)) imported.add(match[1]);
    }
    const external = [...imported].filter((m) => !m.startsWith('./') && !m.startsWith('node:'));
    expect(external).toEqual(['@vigil/core']);
  });
});
