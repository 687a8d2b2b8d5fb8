import { parseServeArgs, SERVE_USAGE, serveViewer } from '@vigil/viewer';
import { UsageError } from '../usage-error';

/** `vigil serve --help`: the viewer's own usage, so the two can never disagree. */
export const serveHelp = SERVE_USAGE;

export async function serveCommand(argv: string[], out: (text: string) => void): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    out(serveHelp);
    return 0;
  }
  // Flags, VIGIL_VIEWER_* variables and defaults are read by the viewer's parser (throws a usage error).
  try {
    parseServeArgs(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const viewer = await serveViewer(argv, { out: (line) => out(line.replace(/\n$/, '')) });
  out('Ctrl-C to stop');
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await viewer.close();
  return 0;
}
