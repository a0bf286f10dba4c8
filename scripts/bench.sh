#!/usr/bin/env bash
# End-to-end benchmark: ecsd (release build, simulated driver with no step
# time) beside moto's EC2 on the same number of servers, both driven by wrk
# on loopback.
#
#   scripts/bench.sh [--servers N] [--duration S] [--runs N] [--history N]
#                    [--scales N,N,...] [--keep]
#
#   --servers N    servers (and EC2 instances) to create, default 1000
#   --duration S   seconds per wrk run, default 10
#   --runs N       wrk runs per figure (the median is reported), default 3
#   --history N    after the first figures, drive N more finished actions
#                  (os-stop / os-start) and measure ecsd again
#   --scales LIST  instead of the comparison: for each server count, a fresh
#                  data dir, the GET and reboot figures, memory, disk and
#                  start-up time of ecsd alone
#   --keep         keep the temporary directory (data dirs, logs, raw wrk output)
#
# Installs what is missing: wrk, curl and Python's venv (apt-get, with sudo
# unless root) and target/bench-venv with moto[server] 5 and boto3 (pip).
# Needs cargo. Prints markdown tables on standard output, progress on
# standard error.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bench="$repo/scripts/bench"
venv="$repo/target/bench-venv"
bin="$repo/target/release/ecsd"
pip_requirements=("moto[server]==5.*" "boto3")
threads=2

servers=1000
duration=10
runs=3
history=0
scales=""
keep=0

die() {
    echo "bench: $*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

positive() { # NAME VALUE
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 wants a positive whole number, not '$2'"
}

while (($#)); do
    case "$1" in
        --servers) positive "$1" "${2:-}"; servers=$2; shift 2 ;;
        --duration) positive "$1" "${2:-}"; duration=$2; shift 2 ;;
        --runs) positive "$1" "${2:-}"; runs=$2; shift 2 ;;
        --history) positive "$1" "${2:-}"; history=$2; shift 2 ;;
        --scales)
            [[ "${2:-}" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--scales wants counts like 1000,100000"
            scales=$2
            shift 2
            ;;
        --keep) keep=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

# ---------------------------------------------------------------- installing

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() { # PACKAGE...
    echo "bench: installing $*" >&2
    if ((!apt_updated)); then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

command -v wrk > /dev/null || apt_install wrk
command -v curl > /dev/null || apt_install curl
command -v python3 > /dev/null || apt_install python3
# Debian's python3 makes venvs only with python3-venv (ensurepip).
python3 -c 'import ensurepip, venv' 2> /dev/null || apt_install python3-venv
command -v cargo > /dev/null || die "needs Rust's cargo (https://rustup.rs)"

stamp="$venv/.bench-requirements"
if [[ ! -x "$venv/bin/python" ]]; then
    echo "bench: creating $venv" >&2
    python3 -m venv "$venv"
fi
if [[ "$(cat "$stamp" 2> /dev/null || true)" != "${pip_requirements[*]}" ]]; then
    echo "bench: installing ${pip_requirements[*]} into $venv" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${pip_requirements[@]}" >&2
    echo "${pip_requirements[*]}" > "$stamp"
fi
py="$venv/bin/python"
moto_version="$("$py" -c 'import moto; print(moto.__version__)')"

echo "bench: cargo build --release" >&2
cargo build --release --quiet
[[ -x "$bin" ]] || die "no $bin after the build"

# ecsd must see only the settings given here.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(ECSD_|OS_)' || true)

# ---------------------------------------------------------------- processes

work="$(mktemp -d "${TMPDIR:-/tmp}/ecsd-bench.XXXXXX")"
ecsd_pid=""
moto_pid=""

stop_pid() { # PID
    if [[ -n "$1" ]] && kill -0 "$1" 2> /dev/null; then
        kill "$1" 2> /dev/null || true
        wait "$1" 2> /dev/null || true
    fi
}

cleanup() {
    stop_pid "$ecsd_pid"
    stop_pid "$moto_pid"
    if ((keep)); then
        echo "bench: kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() { # URL PID: until the URL answers anything, while PID lives
    local deadline=$((SECONDS + 300))
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2> /dev/null || true)" != "000" ]]; do
        kill -0 "$2" 2> /dev/null || return 1
        ((SECONDS < deadline)) || return 1
        sleep 0.005
    done
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# One TOML per data dir: shared hosts with room for COUNT s6.small.1
# servers (1 vCPU, 1 GiB each), twice over, and no quotas.
write_config() { # FILE COUNT
    local vcpus=$(($2 + 64))
    : > "$1"
    for n in 1 2; do
        cat >> "$1" << EOF
[[hosts]]
id = "local-1a-bench-$n"
name = "local-1a-bench-$n"
availability_zone = "local-1a"
kind = "shared"
vcpus = $vcpus
ram_mb = $((vcpus * 1024))

EOF
    done
    # A benchmark's project holds every server: no quota stands in its way.
    cat >> "$1" << EOF
[quotas]
instances = -1
cores = -1
ram = -1
volumes = -1
gigabytes = -1
ports = -1
EOF
}

start_ecsd() { # DATA CONFIG
    local port
    port="$(free_port)"
    ECSD_SIM_STEP_MS=0 "$bin" serve --listen "127.0.0.1:$port" --data "$1" --config "$2" >> "$1.log" 2>&1 &
    ecsd_pid=$!
    ecsd_url="http://127.0.0.1:$port"
    wait_http "$ecsd_url/" "$ecsd_pid" || { tail -20 "$1.log" >&2; die "ecsd did not start"; }
    ecsd_env="$1/credentials.env"
    ecsd_token="$("$py" "$bench/ecsd_api.py" token --env "$ecsd_env")"
}

stop_ecsd() {
    stop_pid "$ecsd_pid"
    ecsd_pid=""
}

# Milliseconds from launching ecsd on an existing data dir to `GET /` answering.
restart_ecsd() { # DATA CONFIG -> startup_ms
    stop_ecsd
    local port t0
    port="$(free_port)"
    t0="$(now_ms)"
    ECSD_SIM_STEP_MS=0 "$bin" serve --listen "127.0.0.1:$port" --data "$1" --config "$2" >> "$1.log" 2>&1 &
    ecsd_pid=$!
    wait_http "http://127.0.0.1:$port/" "$ecsd_pid" || { tail -20 "$1.log" >&2; die "ecsd did not restart"; }
    startup_ms=$(($(now_ms) - t0))
    ecsd_url="http://127.0.0.1:$port"
    ecsd_token="$("$py" "$bench/ecsd_api.py" token --env "$ecsd_env")"
}

rss_kib() { # PID
    # Anonymous memory only: the memory-mapped database is page cache.
    awk '/^RssAnon:/ {print $2}' "/proc/$1/status"
}

ecsd_facts() { # FILE DATA: memory and disk now
    {
        echo "rss_kib=$(rss_kib "$ecsd_pid")"
        echo "du_kib=$(du -sk "$2" | cut -f1)"
    } >> "$1"
}

settle_args=()
ecsd_settle() {
    "$py" "$bench/ecsd_api.py" settle --env "$ecsd_env" --token "$ecsd_token" --timeout 600 "${settle_args[@]}"
}

moto_settle() {
    "$py" "$bench/ec2_api.py" settle --endpoint "$moto_url" --ids "$moto_ids"
}

create_servers() { # COUNT IDS
    echo "bench: creating $1 servers" >&2
    "$py" "$bench/ecsd_api.py" create --env "$ecsd_env" --token "$ecsd_token" \
        --count "$1" --ids "$2" --timeout $((600 + $1 / 50))
}

start_moto() { # COUNT
    local port
    port="$(free_port)"
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
    moto_pid=$!
    moto_url="http://127.0.0.1:$port"
    wait_http "$moto_url/" "$moto_pid" || { tail -20 "$work/moto.log" >&2; die "moto_server did not start"; }
    moto_ids="$work/moto.ids"
    echo "bench: creating $1 EC2 instances in moto" >&2
    "$py" "$bench/ec2_api.py" create --endpoint "$moto_url" --count "$1" --ids "$moto_ids"
}

# ---------------------------------------------------------------- measuring

# RUNS runs of one figure, each after SETTLE (a command), RESULT lines in OUT.
wrk_runs() { # OUT SETTLE URL SCRIPT CONNECTIONS IDS [SCRIPT ARGS...]
    local out=$1 settle=$2 url=$3 script=$4 conns=$5 ids=$6 r
    shift 6
    : > "$out"
    for ((r = 1; r <= runs; r++)); do
        "$settle"
        wrk -t "$threads" -c "$conns" -d "${duration}s" --timeout 10s -s "$bench/$script" "$url" \
            -- "$ids" "$threads" "$conns" "$@" > "$out.wrk.$r" 2>&1 || { cat "$out.wrk.$r" >&2; die "wrk failed"; }
        grep '^RESULT ' "$out.wrk.$r" >> "$out" || { cat "$out.wrk.$r" >&2; die "no RESULT from $script"; }
        echo "bench: $(basename "$out") run $r/$runs: $(tail -1 "$out")" >&2
    done
}

measure_ecsd() { # DIR PREFIX IDS [FIGURE...]
    local dir=$1 prefix=$2 ids=$3 figure
    shift 3
    for figure in "$@"; do
        case "$figure" in
            get8) wrk_runs "$dir/$prefix.get8" true "$ecsd_url" nova_show.lua 8 "$ids" "$ecsd_token" ;;
            get64) wrk_runs "$dir/$prefix.get64" true "$ecsd_url" nova_show.lua 64 "$ids" "$ecsd_token" ;;
            power64) wrk_runs "$dir/$prefix.power64" ecsd_settle "$ecsd_url" nova_actions.lua 64 "$ids" "$ecsd_token" power ;;
            reboot64) wrk_runs "$dir/$prefix.reboot64" ecsd_settle "$ecsd_url" nova_actions.lua 64 "$ids" "$ecsd_token" reboot ;;
        esac
    done
    ecsd_settle
}

measure_moto() { # DIR
    wrk_runs "$1/moto.get8" true "$moto_url" ec2_describe.lua 8 "$moto_ids"
    wrk_runs "$1/moto.get64" true "$moto_url" ec2_describe.lua 64 "$moto_ids"
    wrk_runs "$1/moto.reboot64" true "$moto_url" ec2_actions.lua 64 "$moto_ids" reboot
    wrk_runs "$1/moto.power64" moto_settle "$moto_url" ec2_actions.lua 64 "$moto_ids" power
}

# At least COUNT more accepted (202) os-stop / os-start, all finished.
drive_history() { # DIR IDS COUNT
    local out="$1/history" done_count=0 before
    : > "$out"
    echo "bench: driving $3 more actions" >&2
    while ((done_count < $3)); do
        before=$done_count
        ecsd_settle
        wrk -t "$threads" -c 64 -d "${duration}s" --timeout 10s -s "$bench/nova_actions.lua" "$ecsd_url" \
            -- "$2" "$threads" 64 "$ecsd_token" power > "$out.wrk" 2>&1 || { cat "$out.wrk" >&2; die "wrk failed"; }
        grep '^RESULT ' "$out.wrk" >> "$out" || { cat "$out.wrk" >&2; die "no RESULT while driving history"; }
        done_count="$("$py" "$bench/report.py" total "$out")"
        ((done_count > before)) || die "no action accepted while driving history"
        echo "bench: $done_count actions of $3" >&2
    done
    ecsd_settle
}

machine="$(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(date -u +%Y-%m-%d)"

run_facts() { # FILE COUNT
    {
        echo "servers=$2"
        echo "runs=$runs"
        echo "duration=$duration"
        echo "threads=$threads"
        echo "moto_version=$moto_version"
        echo "machine=$machine"
    } > "$1"
}

compare_run() {
    local dir="$work/results" data="$work/data" config="$work/ecsd.toml" ids="$work/ecsd.ids"
    mkdir -p "$dir"
    run_facts "$dir/run.facts" "$servers"
    write_config "$config" "$servers"
    start_ecsd "$data" "$config"
    create_servers "$servers" "$ids"
    ecsd_settle
    ecsd_facts "$dir/ecsd.facts" "$data"
    start_moto "$servers"

    measure_ecsd "$dir" ecsd "$ids" get8 get64 reboot64 power64
    measure_moto "$dir"
    restart_ecsd "$data" "$config"
    echo "startup_ms=$startup_ms" >> "$dir/ecsd.facts"

    if ((history > 0)); then
        stop_pid "$moto_pid"
        moto_pid=""
        drive_history "$dir" "$ids" "$history"
        ecsd_facts "$dir/after.facts" "$data"
        measure_ecsd "$dir" after "$ids" get8 get64 reboot64 power64
        restart_ecsd "$data" "$config"
        echo "startup_ms=$startup_ms" >> "$dir/after.facts"
    fi
    stop_ecsd
    "$py" "$bench/report.py" compare "$dir" --history "$history"
}

scale_run() { # COUNT
    local dir="$work/scale-$1" data="$work/scale-$1/data" config="$work/scale-$1/ecsd.toml" ids="$work/scale-$1/ids"
    mkdir -p "$dir"
    run_facts "$dir/run.facts" "$1"
    write_config "$config" "$1"
    start_ecsd "$data" "$config"
    create_servers "$1" "$ids"
    # Only creates and reboots here: waiting for those statuses to clear
    # does not read a million servers before every run.
    settle_args=(--statuses BUILD,REBOOT)
    ecsd_settle
    ecsd_facts "$dir/ecsd.facts" "$data"
    measure_ecsd "$dir" ecsd "$ids" get8 get64 reboot64
    restart_ecsd "$data" "$config"
    echo "startup_ms=$startup_ms" >> "$dir/ecsd.facts"
    stop_ecsd
    "$py" "$bench/report.py" scale "$dir"
    echo
}

if [[ -n "$scales" ]]; then
    IFS=, read -r -a counts <<< "$scales"
    for count in "${counts[@]}"; do
        scale_run "$count"
    done
else
    compare_run
fi
