import { diffCommand, diffHelp } from './commands/diff';
import { exportCommand, exportHelp } from './commands/export';
import { leaksCommand, leaksHelp } from './commands/leaks';
import { runCommand, runHelp } from './commands/run';
import { serveCommand, serveHelp } from './commands/serve';
import { topCommand, topHelp } from './commands/top';
import { UsageError } from './usage-error';

/** A subcommand: runs with its own argv and resolves to an exit code (or void for 0). */
export type Command = (argv: string[], out: (text: string) => void) => void | number | Promise<void | number>;

const commands = new Map<string, { run: Command; help: string; summary: string }>([
  ['run', { run: runCommand, help: runHelp, summary: 'run a Node program under the profiler and show its hotspots' }],
  ['top', { run: topCommand, help: topHelp, summary: 'the hottest functions in pprof files' }],
  ['diff', { run: diffCommand, help: diffHelp, summary: 'what got slower or faster between two sets of profiles' }],
  ['leaks', { run: leaksCommand, help: leaksHelp, summary: 'heap leak suspects across consecutive heap profiles' }],
  ['serve', { run: serveCommand, help: serveHelp, summary: 'the local viewer: intake, store and flame graphs in the browser' }],
  ['export', { run: exportCommand, help: exportHelp, summary: 'a flame graph to share: one offline HTML file, speedscope JSON or collapsed stacks' }],
]);

export function mainHelp(): string {
  const width = Math.max(...[...commands.keys()].map((k) => k.length));
  return `Usage: vigil <command> [options]

Vigil, a continuous profiler for Node.js.

Commands:
${[...commands].map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n')}

Run 'vigil <command> --help' for a command's options and examples.`;
}

/** Runs the CLI; returns the exit code. Usage errors print one line and return 2. */
export async function main(argv: string[], out: (text: string) => void = (t) => process.stdout.write(`${t}\n`), err: (text: string) => void = (t) => process.stderr.write(`${t}\n`)): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    out(require('../package.json').version);
    return 0;
  }
  const command = commands.get(name);
  if (!command) {
    err(`vigil: unknown command ${JSON.stringify(name)}\n\n${mainHelp()}`);
    return 2;
  }
  try {
    const code = await command.run(rest, out);
    return typeof code === 'number' ? code : 0;
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      err(`vigil ${name}: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? '';
  return code.startsWith('ERR_PARSE_ARGS_');
}
