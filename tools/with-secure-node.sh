#!/bin/sh
# Runs a command with the SECURE variant of the local Cassandra node up
# (PasswordAuthenticator + client TLS, see tools/cassandra/README.md) and exits
# with the command's status.
#
# Both variants use the same ports, so a running plain node is stopped first
# and started again afterwards. The secure node is stopped at the end unless it
# was already running before (then it is left as it was found). The node is
# restored on every way out: normal end, failure to start, Ctrl-C, SIGTERM
# (a signal sent to this script alone takes effect once the command ends).
set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 1
node="python3 $here/cassandra/node.py"

plain_was_running=0
secure_was_running=0
secure_started=0
restored=0

# node.py start, retried while it reports a port conflict (exit 4): a node that
# was just stopped can hold a port for a few seconds after its JVM is gone.
start_node() {
  tries=0
  while :; do
    $node start "$@"
    status=$?
    [ "$status" = 4 ] && [ "$tries" -lt 20 ] || return "$status"
    tries=$((tries + 1))
    echo "with-secure-node: a port is still taken; retrying in 3 s" >&2
    sleep 3
  done
}

restore() {
  [ "$restored" = 1 ] && return 0
  restored=1
  if [ "$secure_started" = 1 ]; then
    $node stop --secure || echo "with-secure-node: could not stop the secure node" >&2
  fi
  if [ "$plain_was_running" = 1 ]; then
    start_node || echo "with-secure-node: could not start the plain node again" >&2
  fi
}

trap restore EXIT
trap 'restore; exit 130' INT
trap 'restore; exit 143' TERM
trap 'restore; exit 129' HUP

if [ "$#" -eq 0 ]; then
  echo "usage: sh tools/with-secure-node.sh COMMAND [ARG...]" >&2
  exit 2
fi

if $node status --secure >/dev/null 2>&1; then
  secure_was_running=1
elif $node status >/dev/null 2>&1; then
  plain_was_running=1
  echo "with-secure-node: stopping the plain node for the secure one" >&2
  $node stop || exit 1
fi

if [ "$secure_was_running" = 0 ]; then
  secure_started=1
  start_node --secure || exit 1
fi

"$@"
rc=$?
restore
exit $rc
