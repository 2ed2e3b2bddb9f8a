/**
 * The `converge` executable: runs the CLI on the process arguments and exits with its code.
 *
 * @packageDocumentation
 */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  stdout: { write: (text) => process.stdout.write(text) },
  stderr: { write: (text) => process.stderr.write(text) },
});
process.exitCode = code;
