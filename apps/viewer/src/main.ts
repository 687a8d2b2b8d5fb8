/**
 * Runs the viewer as a program: `node dist/main.js [--port 8126] [--data-dir ...]`.
 * Stops on SIGINT/SIGTERM after finishing uploads in flight.
 */
import { serveViewer } from './serve-command';

serveViewer(process.argv.slice(2)).then(
  (viewer) => {
    const stop = () => {
      viewer.close().then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (error: unknown) => {
    process.stderr.write(`vigil viewer: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
