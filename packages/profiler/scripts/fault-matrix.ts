// Prints the fault matrix: a real app under the preload against misbehaving backends and disks.
// Needs a build first (`pnpm build`). Run: npx tsx packages/profiler/scripts/fault-matrix.ts
import { faultTable, runFaultMatrix } from '../test/fault-matrix/harness';

runFaultMatrix().then((results) => {
  process.stdout.write(`${faultTable(results)}\n`);
  for (const r of results) if (r.stderr) process.stdout.write(`\n${r.name} stderr:\n${r.stderr}`);
}, (error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
