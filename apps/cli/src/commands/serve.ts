import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startViewer } from '@vigil/viewer';
import { intOption, numberOption } from './options';

export const serveHelp = `Usage: vigil serve [options]

Starts the local viewer: a Datadog-agent and Pyroscope compatible intake, an on-disk profile
store, and a web UI with flame graphs, hotspots, timelines, diffs and leak suspects.
Point any profiler at it (DD_TRACE_AGENT_URL=http://127.0.0.1:8126, or vigil run --upload).

Options:
  --port <n>            port (default 8126, the Datadog agent's)
  --host <addr>         address to bind (default 127.0.0.1; anything else exposes your profiles)
  --data <dir>          where profiles are stored (default ./.vigil-data)
  --retention-mb <n>    keep at most this much, oldest dropped first (default 1024)
  -h, --help            this help

Examples:
  vigil serve
  vigil serve --port 9000 --data /var/tmp/profiles --retention-mb 200`;

export async function serveCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, 'retention-mb': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    out(serveHelp);
    return 0;
  }
  const port = values.port === '0' ? 0 : intOption('--port', values.port, 8126);
  const viewer = await startViewer({
    port,
    host: values.host ?? '127.0.0.1',
    dataDir: resolve(values.data ?? '.vigil-data'),
    retentionMb: numberOption('--retention-mb', values['retention-mb'], 1024),
  });
  out(`vigil viewer on ${viewer.url} (data in ${resolve(values.data ?? '.vigil-data')}); Ctrl-C to stop`);
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await viewer.close();
  return 0;
}
