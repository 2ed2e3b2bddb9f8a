/**
 * The `converge` executable: runs the CLI on the process arguments and exits with its code.
 *
 * @packageDocumentation
 */
import { processOutput } from './process-output.js';
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  stdout: processOutput(process.stdout),
  // A closed stderr leaves nowhere to say anything: its writes are dropped, the command goes on.
  stderr: processOutput(process.stderr, () => {}),
});
process.exitCode = code;
