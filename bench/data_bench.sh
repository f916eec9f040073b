#!/usr/bin/env bash
# Data versioning against the tools a user has today (DVC hashes with md5, one file at a time,
# and stores every changed file whole), side by side on the same files:
#
#   1. hashing one large file from the page cache: md5sum (DVC's hash), sha256sum, openssl
#      sha256, and `sluice data hash` (content-defined chunks, SHA-256 per chunk, in parallel);
#      and a set of files (8 x size/8) with 1 and 2 threads, to see the scaling;
#   2. many small files (N x 4 KiB): `sluice data add` files/s vs `find | xargs md5sum`, and a
#      second `sluice data status` with nothing changed;
#   3. a large CSV with 1% of its rows changed in place in the middle, and with 1% rows inserted
#      in the middle: bytes each new version adds to the store, as % of the file (DVC: 100%).
#
#   bench/data_bench.sh [--hash-mb 256] [--files 10000] [--csv-mb 64] [--json] [BUILD_DIR]
#
# The defaults are a quick run; the issue's sizes are --hash-mb 2048 --files 100000 --csv-mb 1024.
# BUILD_DIR (default: build) holds apps/sluice/sluice; $SLUICE overrides the binary. Work files go
# to $SLUICE_BENCH_DIR (default: a temp folder, removed at the end). Times are wall seconds and
# CPU seconds (user + sys, from GNU time) of the whole process; GB/s per CPU-second is the number
# to compare on a shared machine. Each timing is the median of --repeats runs (default 3).
set -euo pipefail

hash_mb=256
files=10000
csv_mb=64
repeats=3
json=0
build=build
while (($#)); do
  case "$1" in
    --hash-mb) hash_mb=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --csv-mb) csv_mb=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --json) json=1; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) build=$1; shift ;;
  esac
done
sluice=${SLUICE:-$build/apps/sluice/sluice}
[[ -x "$sluice" ]] || { echo "missing $sluice; build the sluice target" >&2; exit 1; }
sluice=$(cd "$(dirname "$sluice")" && pwd)/$(basename "$sluice")
[[ -x /usr/bin/time ]] || { echo "GNU time is missing (Debian package: time)" >&2; exit 1; }

if [[ -n "${SLUICE_BENCH_DIR:-}" ]]; then
  work=$SLUICE_BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-data-bench.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
log() { ((json)) || echo "$@"; }

# Runs a command `repeats` times; sets wall and cpu to the medians (seconds).
measure() {
  local walls=() cpus=()
  for ((r = 0; r < repeats; r++)); do
    /usr/bin/time -f '%e %U %S' -o "$work/time.txt" "$@" > "$work/out.txt" 2> "$work/err.txt" ||
      { cat "$work/err.txt" >&2; echo "failed: $*" >&2; exit 1; }
    read -r w u s < "$work/time.txt"
    walls+=("$w")
    cpus+=("$(echo "$u + $s" | bc -l)")
  done
  wall=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(((repeats + 1) / 2))p")
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(((repeats + 1) / 2))p")
  wall=$(printf '%.3f' "$wall")
  cpu=$(printf '%.3f' "$cpu")
}
rate() { printf '%.2f' "$(echo "$1 / ($2 + 0.0001)" | bc -l)"; }   # amount / seconds
pct() { printf '%.2f' "$(echo "100 * $1 / $2" | bc -l)"; }

# Random bytes at GB/s: AES-CTR over zeros.
random_bytes() {
  { openssl enc -aes-128-ctr -pass pass:sluice -nosalt -pbkdf2 < /dev/zero 2> /dev/null || true; } |
    head -c "$1"
}

results="{}"
add_result() { results=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r[sys.argv[2]]=json.loads(sys.argv[3]); print(json.dumps(r))' "$results" "$1" "$2"); }

ws=$work/ws
rm -rf "$ws"
mkdir -p "$ws"
(cd "$ws" && "$sluice" init > /dev/null)
S() { (cd "$ws" && "$sluice" "$@"); }

# ---- 1. hashing
log "== 1. hashing a ${hash_mb} MB file from the page cache (median of $repeats)"
big=$ws/big.bin
random_bytes $((hash_mb * 1048576)) > "$big"
cat "$big" > /dev/null
gb=$(echo "scale=4; $hash_mb * 1048576 / 1000000000" | bc -l)
hash_json="{}"
printf -v header '%-28s %10s %10s %12s %14s' tool wall_s cpu_s GB/s_wall GB/s_per_cpu_s
log "$header"
for tool in "md5sum" "sha256sum" "openssl dgst -sha256" "sluice data hash --threads 1" "sluice data hash"; do
  case "$tool" in
    sluice*) measure "$sluice" data hash --workspace "$ws" ${tool#sluice data hash} "$big" ;;
    *) measure $tool "$big" ;;
  esac
  printf -v line '%-28s %10s %10s %12s %14s' "$tool" "$wall" "$cpu" "$(rate "$gb" "$wall")" "$(rate "$gb" "$cpu")"
  log "$line"
  hash_json=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r[sys.argv[2]]={"wall_s":float(sys.argv[3]),"cpu_s":float(sys.argv[4])}; print(json.dumps(r))' "$hash_json" "$tool" "$wall" "$cpu")
done
add_result hash_one_file "$hash_json"

log
log "== 1b. hashing 8 files of $((hash_mb / 8)) MB: scaling with threads"
split -n 8 -d "$big" "$ws/part."
cat "$ws"/part.* > /dev/null
parts=("$ws"/part.*)
scale_json="{}"
for tool in "md5sum" "xargs -P2 md5sum" "sluice --threads 1" "sluice --threads 2"; do
  case "$tool" in
    "md5sum") measure md5sum "${parts[@]}" ;;
    "xargs -P2 md5sum") measure sh -c 'printf "%s\n" "$@" | xargs -P2 -n4 md5sum' sh "${parts[@]}" ;;
    *) measure "$sluice" data hash --workspace "$ws" ${tool#sluice } "${parts[@]}" ;;
  esac
  printf -v line '%-28s %10s %10s %12s %14s' "$tool" "$wall" "$cpu" "$(rate "$gb" "$wall")" "$(rate "$gb" "$cpu")"
  log "$line"
  scale_json=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r[sys.argv[2]]={"wall_s":float(sys.argv[3]),"cpu_s":float(sys.argv[4])}; print(json.dumps(r))' "$scale_json" "$tool" "$wall" "$cpu")
done
add_result hash_eight_files "$scale_json"
rm -f "$big" "$ws"/part.*

# ---- 2. many small files
log
log "== 2. $files files of 4 KiB"
small=$ws/small
mkdir -p "$small"
random_bytes $((files * 4096)) > "$work/small.bin"
(cd "$small" && split -a 6 -b 4096 "$work/small.bin" f)
rm -f "$work/small.bin"
find "$small" -type f -exec cat {} + > /dev/null
# Written back before anything is timed, as a dataset's files are by the time it is added: the
# kernel writing 400 MB of fresh small files meanwhile takes CPU from whichever tool runs then.
sync
sleep 1.2  # older than the stat cache's racy window (1 s), as files of a real dataset are
repeats_saved=$repeats
repeats=1
measure sh -c "cd '$small' && find . -type f -print0 | xargs -0 md5sum > /dev/null"
md5_wall=$wall md5_cpu=$cpu
measure "$sluice" data add --workspace "$ws" "$small" --name small --no-pointer
add_wall=$wall add_cpu=$cpu
repeats=$repeats_saved
measure "$sluice" data status --workspace "$ws" small
status_wall=$wall status_cpu=$cpu
printf -v line '%-34s %8s s wall %8s s cpu %10s files/s wall %10s files/s per cpu-s' \
  "find | xargs md5sum" "$md5_wall" "$md5_cpu" "$(rate "$files" "$md5_wall")" "$(rate "$files" "$md5_cpu")"
log "$line"
printf -v line '%-34s %8s s wall %8s s cpu %10s files/s wall %10s files/s per cpu-s' \
  "sluice data add" "$add_wall" "$add_cpu" "$(rate "$files" "$add_wall")" "$(rate "$files" "$add_cpu")"
log "$line"
printf -v line '%-34s %8s s wall %8s s cpu' "sluice data status (no change)" "$status_wall" "$status_cpu"
log "$line"
add_result small_files "{\"files\": $files, \"md5sum_wall_s\": $md5_wall, \"md5sum_cpu_s\": $md5_cpu, \"add_wall_s\": $add_wall, \"add_cpu_s\": $add_cpu, \"status_wall_s\": $status_wall, \"status_cpu_s\": $status_cpu}"
rm -rf "$small"

# ---- 3. a large CSV edited in the middle
log
log "== 3. a ${csv_mb} MB CSV: 1% of the rows changed in place, or inserted, in the middle"
csv=$ws/table.csv
python3 - "$csv" "$csv_mb" <<'EOF'
import random, sys
path, mb = sys.argv[1], int(sys.argv[2])
random.seed(7)
target = mb * 1048576
with open(path, "w") as out:
    out.write("id,customer,plan,amount,score,country\n")
    size, i = 0, 0
    plans, countries = ["basic", "pro", "team", "enterprise"], ["de", "fr", "us", "jp", "br"]
    lines = []
    while size < target:
        line = f"{i},c{random.randrange(10**7)},{random.choice(plans)},{random.random()*1000:.2f},{random.random():.6f},{random.choice(countries)}\n"
        lines.append(line)
        size += len(line)
        i += 1
        if len(lines) == 100000:
            out.write("".join(lines))
            lines = []
    out.write("".join(lines))
EOF
size=$(stat -c %s "$csv")
edit() {  # $1 = inplace|insert: rewrites table.csv from table.orig
  python3 - "$ws/table.orig" "$csv" "$1" <<'EOF'
import sys
src, dst, mode = sys.argv[1:4]
data = open(src, "rb").read()
mid = len(data) // 2
start = data.index(b"\n", mid) + 1
end = start + len(data) // 100
end = data.index(b"\n", end) + 1
block = data[start:end]
if mode == "inplace":
    # Same rows, new amounts and scores: every changed row keeps its length.
    changed = bytes(b if not (48 <= b <= 57) else 48 + (b - 48 + 3) % 10 for b in block)
    out = data[:start] + changed + data[end:]
else:
    inserted = block.replace(b",c", b",n")
    out = data[:start] + inserted + data[start:]
open(dst, "wb").write(out)
EOF
}
cp "$csv" "$ws/table.orig"
repeats_saved=$repeats
repeats=1
measure "$sluice" data add --workspace "$ws" "$csv" --name table --no-profile --json
v1_wall=$wall
repeats=$repeats_saved
v1_new=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["new_bytes"])' "$work/out.txt")
csv_json="{\"csv_bytes\": $size, \"first_add_wall_s\": $v1_wall"
for mode in inplace insert; do
  edit "$mode"
  repeats_saved=$repeats
  repeats=1
  measure "$sluice" data add --workspace "$ws" "$csv" --name table --no-profile --json
  repeats=$repeats_saved
  new=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["new_bytes"])' "$work/out.txt")
  file_size=$(stat -c %s "$csv")
  printf -v line '%-34s %12s bytes new = %6s%% of the file (%s s wall; DVC: 100%%)' \
    "1% rows $mode" "$new" "$(pct "$new" "$file_size")" "$wall"
  log "$line"
  csv_json+=", \"${mode}_new_bytes\": $new, \"${mode}_file_bytes\": $file_size, \"${mode}_add_wall_s\": $wall"
done
add_result csv "$csv_json}"
log
log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
((json)) && echo "$results"
exit 0
