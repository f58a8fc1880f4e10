#!/bin/sh
# nimbus-minimal 1.0.0: what the image's boot command runs (`exec /bin/sh ./boot.sh`),
# in the instance's root volume. It says hello on the console and then stays up,
# so that the instance keeps running while its user data script (started beside
# it by the worker) does the instance's work. It ends on SIGTERM (stop, terminate).

. ./etc/os-release

cat <<BANNER
  _   _ _           _
 | \ | (_)_ __ ___ | |__  _   _ ___
 |  \| | | '_ \` _ \| '_ \| | | / __|
 | |\  | | | | | | | |_) | |_| \__ \\
 |_| \_|_|_| |_| |_|_.__/ \__,_|___/   $PRETTY_NAME

BANNER
echo "instance ${NIMBUS_INSTANCE_ID:-unknown} in ${NIMBUS_AVAILABILITY_ZONE:-unknown}, private IP ${NIMBUS_PRIVATE_IP:-unknown}"
echo "root volume mounted at $(pwd); user data runs beside this script"

sleeper=''
trap 'echo "[nimbus-minimal] shutting down"; [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; exit 0' TERM INT
while :; do
  sleep 3600 &
  sleeper=$!
  wait "$sleeper"
done
