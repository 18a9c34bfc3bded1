# Sourced by dist_train.sh and dist_test.sh: run a tool on NPROC processes
# of this node (or NNODES nodes) with torchrun.
#   dist_launch NPROC TOOL [TOOL arguments]
# Environment: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1),
# PORT (29500), PYTHON (python).
dist_launch() {
    local nproc=$1 tool=$2 tools_dir
    shift 2
    tools_dir=$(dirname "${BASH_SOURCE[0]}")
    PYTHONPATH="$tools_dir/..":${PYTHONPATH:-} \
    "${PYTHON:-python}" -m torch.distributed.run \
        --nnodes="${NNODES:-1}" \
        --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" \
        --nproc_per_node="$nproc" \
        --master_port="${PORT:-29500}" \
        "$tools_dir/$tool" "$@"
}
