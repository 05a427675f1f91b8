#!/bin/sh
# Runs a command with a local Cassandra node up. A node that already answers on
# 127.0.0.1:9042 (ours or a developer's own) is used as it is; otherwise ours is
# started, and stopped again afterwards only because this script started it.
set -u
node="python3 tools/cassandra/node.py"
started=0
if ! $node status >/dev/null 2>&1 && ! $node probe >/dev/null 2>&1; then
  $node start || exit 1
  started=1
fi
"$@"
rc=$?
if [ "$started" = 1 ]; then
  $node stop
fi
exit $rc
