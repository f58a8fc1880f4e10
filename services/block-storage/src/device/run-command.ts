import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DeviceCommandError, DeviceFacilityMissingError } from './device-errors.js';

const execFileAsync = promisify(execFile);

/** Runs a host tool with the C locale; a missing tool is a DeviceFacilityMissingError, a failure a DeviceCommandError. */
export async function runTool(
  tool: 'losetup' | 'mount',
  args: string[],
  program: string = tool,
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(program, args, { env: { ...process.env, LC_ALL: 'C' } });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new DeviceFacilityMissingError([tool], `${program} is not installed (util-linux / mount)`);
    }
    throw new DeviceCommandError(`${program} ${args.join(' ')}`, failure.stderr ?? failure.message);
  }
}
