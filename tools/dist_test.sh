#!/usr/bin/env bash
# Evaluate a checkpoint on NPROC processes with torchrun.
#   tools/dist_test.sh CONFIG CHECKPOINT NPROC [tools/test.py options]
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT NPROC [test.py options]" >&2
    exit 2
fi
# shellcheck source=tools/dist_launch.sh
source "$(dirname "$0")/dist_launch.sh"
dist_launch "$3" test.py "$1" "$2" --launcher pytorch "${@:4}"
