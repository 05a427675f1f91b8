#!/bin/sh
# Runs a command with the local Cassandra node up: starts it when it is not
# running and stops it afterwards only if this script started it.
set -u
node="python3 tools/cassandra/node.py"
started=0
if ! $node status >/dev/null 2>&1; then
  $node start || exit 1
  started=1
fi
"$@"
rc=$?
if [ "$started" = 1 ]; then
  $node stop
fi
exit $rc
