/**
 * The instance's init: a small `/bin/sh` script that is the process group
 * leader of the instance's process tree. It joins the instance's cgroups
 * before anything else runs (so no child escapes the limits), starts the
 * image's boot command, then the user data script, and waits for the boot
 * command. Its exit status, written to a file before it exits, is how a
 * worker that did not start it (a restarted one) learns how the boot process
 * ended. Without a boot command the instance idles after its user data, as a
 * machine with nothing but an OS would.
 *
 *   sh -c <script> nimbus-init <exit file> <boot command> <user data file or ''> <cgroup.procs files...>
 */
export const initScript = `exit_file=$1; boot=$2; user_data=$3; shift 3
for procs in "$@"; do echo $$ > "$procs" || exit 125; done
rm -f "$exit_file"
if [ -n "$boot" ]; then /bin/sh -c "$boot" & boot_pid=$!; fi
if [ -n "$user_data" ]; then ( "$user_data"; echo "[nimbus] user data exited with status $?" ) & fi
if [ -z "$boot" ]; then while :; do sleep 86400; done; fi
wait "$boot_pid"; status=$?
echo "$status" > "$exit_file"
exit "$status"`;

export function initArgs(exitFile: string, bootCommand: string, userDataFile: string, procsFiles: string[]) {
  return ['-c', initScript, 'nimbus-init', exitFile, bootCommand, userDataFile, ...procsFiles];
}

/** Exit status 125: the init could not join its cgroups, so nothing ran. */
export const cannotJoinCgroupsStatus = 125;

const signalNames: Record<number, NodeJS.Signals> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
};

/** Reads a shell exit status: above 128 means the signal status - 128 ended the process. */
export function describeStatus(status: number): { code?: number; signal?: string } {
  if (status > 128 && status < 128 + 65) {
    return { signal: signalNames[status - 128] ?? `signal ${status - 128}` };
  }
  return { code: status };
}
