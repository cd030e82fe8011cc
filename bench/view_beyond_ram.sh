#!/usr/bin/env bash
# A view of a native index file larger than the memory its process may use
# (`make view-beyond-ram`; not part of `make test`: it builds a 1M-vector index).
#
#   bench/view_beyond_ram.sh EXAMPLE FILE LIMIT_MIB [example options...]
#
# EXAMPLE is the built `beyond_ram` example (core/examples/beyond_ram.rs). It builds FILE
# when missing (no limit), then runs its `search` step and its `load` step each inside a
# memory cgroup of its own limited to LIMIT_MIB, and prints the cgroup's peak usage and how
# each step ended. The search must finish with the built index's results; the full load
# must fail (the kernel's OOM killer ends it at the limit). Needs root and a cgroup memory
# controller: cgroup v2 (/sys/fs/cgroup with "memory" in cgroup.subtree_control of this
# process's cgroup's parent) or v1 (/sys/fs/cgroup/memory). No swap is used: the v1
# memsw limit is set too where it exists, and v2's memory.swap.max is 0.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 EXAMPLE FILE LIMIT_MIB [options...]" >&2; exit 2; }
exe=$1 file=$2 limit_mib=$3
shift 3
limit=$((limit_mib * 1024 * 1024))

if [ ! -f "$file" ] || [ ! -f "$file.answers" ]; then
    "$exe" --step build --file "$file" "$@"
fi

# The cgroup: a child of this process's own (v2), or of its memory cgroup (v1).
cg=
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    version=2
    own=$(sed -n 's/^0:://p' /proc/self/cgroup)
    parent=/sys/fs/cgroup${own%/}
    grep -qw memory "$parent/cgroup.subtree_control" 2>/dev/null ||
        echo +memory > "$parent/cgroup.subtree_control" 2>/dev/null || {
        echo "cgroup v2: the memory controller cannot be enabled below $parent" >&2
        echo "(a cgroup that holds processes cannot delegate controllers to children)" >&2
        exit 1
    }
elif [ -d /sys/fs/cgroup/memory ]; then
    version=1
    own=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
    parent=/sys/fs/cgroup/memory${own%/}
else
    echo "no cgroup memory controller on this machine (neither /sys/fs/cgroup/cgroup.controllers nor /sys/fs/cgroup/memory)" >&2
    exit 1
fi

new_cgroup() {
    cg=$parent/hnswlib-view-demo-$$
    mkdir "$cg"
    if [ "$version" = 2 ]; then
        echo "$limit" > "$cg/memory.max"
        echo 0 > "$cg/memory.swap.max" 2>/dev/null || true
    else
        echo "$limit" > "$cg/memory.limit_in_bytes"
        [ ! -f "$cg/memory.memsw.limit_in_bytes" ] || echo "$limit" > "$cg/memory.memsw.limit_in_bytes"
    fi
}
drop_cgroup() {
    # A killed process may take a moment to leave the cgroup.
    local tries=0
    while [ -n "$cg" ] && [ -d "$cg" ] && ! rmdir "$cg" 2>/dev/null && [ $tries -lt 50 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    [ -z "$cg" ] || [ ! -d "$cg" ] || echo "could not remove the cgroup $cg" >&2
    cg=
}
trap drop_cgroup EXIT

peak() {
    local f=$cg/memory.peak
    [ "$version" = 2 ] || f=$cg/memory.max_usage_in_bytes
    if [ -f "$f" ]; then echo "$(( $(cat "$f") / 1024 / 1024 )) MiB"; else echo "unknown"; fi
}
ooms() {
    if [ "$version" = 2 ]; then sed -n 's/^oom_kill //p' "$cg/memory.events"
    else sed -n 's/^oom_kill //p' "$cg/memory.oom_control"; fi
}

# Runs the example's step inside a new cgroup; prints how it ended.
limited() {
    local step=$1 rc=0
    shift
    new_cgroup
    sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$exe" --step "$step" --file "$file" "$@" || rc=$?
    echo "[$step under memory limit $limit_mib MiB (cgroup v$version): exit status $rc, cgroup peak $(peak), OOM kills $(ooms)]"
    drop_cgroup
    return "$rc"
}

size=$(stat -c %s "$file")
echo "== $file: $((size / 1024 / 1024)) MiB; memory limit $limit_mib MiB"
echo "== search through a view"
limited search "$@" || { echo "FAILED: the search through the view did not complete" >&2; exit 1; }
echo "== full load"
if limited load "$@"; then
    echo "FAILED: the full load completed under the limit: choose a smaller limit" >&2
    exit 1
fi
echo "== the view searched a $((size / 1024 / 1024)) MiB file under a $limit_mib MiB limit; the full load could not"
