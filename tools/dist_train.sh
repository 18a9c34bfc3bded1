#!/usr/bin/env bash
# Train on NPROC processes of this node (or NNODES nodes) with torchrun.
#   tools/dist_train.sh CONFIG NPROC [tools/train.py options]
# On CPU-only machines the processes use the gloo backend.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NPROC [train.py options]" >&2
    exit 2
fi
# shellcheck source=tools/dist_launch.sh
source "$(dirname "$0")/dist_launch.sh"
dist_launch "$2" train.py "$1" --launcher pytorch "${@:3}"
