#!/bin/sh
# A stand-in for a real worker, used by config.example.yaml: one line every INTERVAL seconds
# (default 2), and a clean exit (status 0) on SIGTERM so that a stop counts as expected.

sleeper=''
# the sleep is ended too, so nothing of the worker outlives it even when only it is signalled
trap 'echo "worker $$: got TERM, exiting"; [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; exit 0' TERM

n=0
while :; do
  n=$((n + 1))
  echo "worker $$ (${WORKER_NAME:-worker}): tick $n"
  # sleep in the background and wait: sh runs a trap only between commands, and `wait` is
  # interrupted by the signal at once, where a foreground sleep would finish first
  sleep "${INTERVAL:-2}" &
  sleeper=$!
  wait "$sleeper"
done
