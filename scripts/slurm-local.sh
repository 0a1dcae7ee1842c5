#!/usr/bin/env bash
# slurm-local.sh start|stop|status [DIR]: a one-node Slurm cluster on this
# machine, for CI and for trying `sparselm study submit --slurm` by hand.
#
#   start   writes DIR/slurm.conf, starts munged (as the munge user, on its
#           own socket and key in DIR/munge), slurmctld and `slurmd -N
#           localhost`, waits until sinfo shows the node idle, and prints
#           SLURM_CONF=DIR/slurm.conf as its last line (export it: sbatch,
#           squeue and scontrol read it). The daemons' PIDs are in
#           DIR/munged.pid, DIR/slurmctld.pid and DIR/slurmd.pid.
#   stop    cancels the cluster's jobs, stops the three daemons by those
#           PIDs (TERM, then KILL after 10 s) and removes the PID files.
#   status  prints sinfo and squeue of the cluster.
#
# DIR defaults to $SPARSELM_SLURM_DIR, else /tmp/sparselm-slurm. The ports
# are $SLURMCTLD_PORT and $SLURMD_PORT, by default the first free ones from
# 6817 on, so that two clusters (two CI runs) can share a machine, each in
# its own DIR. Needs root (slurmd starts jobs as their users) and Debian's
# slurmctld slurmd slurm-client munge; no systemd: the daemons are started
# here, not by the packages. The config is the smallest that runs jobs
# without cgroups: proctrack/linuxproc, task/none, no accounting (so no
# sacct: read job states from squeue or `scontrol show job`), and a
# scheduler that looks at dependent jobs every second, not every minute.
# Measured here (Slurm 22.05.8, Debian 12, 2 cores): start 0.4 s, stop 0.3 s.
set -euo pipefail

cmd=${1:-}
dir=${2:-${SPARSELM_SLURM_DIR:-/tmp/sparselm-slurm}}
daemons=(slurmd slurmctld munged) # in stopping order

die() { echo "slurm-local: $*" >&2; exit 1; }
log() { echo "slurm-local: $*" >&2; }

# running PID: the process exists and is not a zombie (PID 1 may reap the
# daemons, whose parent it is, only a second after they exit).
running() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# alive NAME: the daemon's PID file names a running process.
alive() {
  local f="$dir/$1.pid"
  [ -s "$f" ] && running "$(cat "$f")"
}

# port_busy PORT: something listens on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port FROM: the first port from FROM on that nothing listens on.
free_port() {
  local p=$1
  while port_busy "$p"; do p=$((p + 1)); done
  echo "$p"
}

# wait_for SECONDS WHAT CMD...: runs CMD every 0.1 s until it succeeds.
wait_for() {
  local limit=$(($1 * 10)) what=$2 i=0
  shift 2
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge "$limit" ]; then
      log "timed out waiting for $what; the logs:"
      tail -n 20 "$dir"/*.log "$dir"/munge/*.log >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.1
  done
}

node_idle() { [ "$(sinfo --noheader --nodes=localhost --format=%t)" = idle ]; }

start() {
  [ "$(id -u)" = 0 ] || die "start needs root (slurmd runs jobs as their users)"
  for b in munged slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null || die "$b not found: apt-get install --no-install-recommends slurmctld slurmd slurm-client munge"
  done
  for d in "${daemons[@]}"; do
    if alive "$d"; then die "$d is already running (PID $(cat "$dir/$d.pid")): run '$0 stop $dir' first"; fi
  done
  local ctld_port slurmd_port
  ctld_port=${SLURMCTLD_PORT:-$(free_port 6817)}
  slurmd_port=${SLURMD_PORT:-$(free_port $((ctld_port + 1)))}
  for p in "$ctld_port" "$slurmd_port"; do
    if port_busy "$p"; then die "port $p is in use (another Slurm?): set SLURMCTLD_PORT and SLURMD_PORT"; fi
  done

  # A start that fails half way stops what it started.
  trap 'rc=$?; if [ "$rc" != 0 ]; then log "start failed: stopping what it started"; stop; fi' EXIT

  mkdir -p "$dir"/{state,spool,munge}
  chmod 0755 "$dir" # the munge user must reach DIR/munge
  # munged's own key and socket, so that a system munged (or none) does
  # not matter; munged checks that its directory is the munge user's.
  if id munge >/dev/null 2>&1; then munge_user=munge; else munge_user=root; fi
  if [ ! -s "$dir/munge/munge.key" ]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  fi
  chmod 0755 "$dir/munge" # clients need to reach the socket
  chmod 0400 "$dir/munge/munge.key"
  chown -R "$munge_user:" "$dir/munge"
  local socket="$dir/munge/munge.socket"
  local munged_args=(--socket="$socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid"
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed")
  if [ "$munge_user" = munge ]; then
    runuser -u munge -- munged "${munged_args[@]}"
  else
    # munged refuses root unless forced; only when there is no munge user.
    munged --force "${munged_args[@]}"
  fi
  wait_for 10 "munged's PID file" test -s "$dir/munge/munged.pid"
  cp "$dir/munge/munged.pid" "$dir/munged.pid"

  local cpus mem_mb
  cpus=$(nproc)
  # A little under the machine's memory: slurmd drains a node that has less
  # than its RealMemory.
  mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster on localhost.
ClusterName=sparselm
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  # -c: forget the jobs of an earlier cluster in DIR.
  slurmctld -c
  wait_for 10 "slurmctld's PID file" test -s "$dir/slurmctld.pid"
  slurmd -N localhost
  wait_for 10 "slurmd's PID file" test -s "$dir/slurmd.pid"
  wait_for 30 "the node to be idle (sinfo)" node_idle
  log "cluster up in $dir: munged $(cat "$dir/munged.pid"), slurmctld $(cat "$dir/slurmctld.pid"), slurmd $(cat "$dir/slurmd.pid")"
  trap - EXIT
  echo "SLURM_CONF=$dir/slurm.conf"
}

stop() {
  export SLURM_CONF="$dir/slurm.conf"
  if alive slurmctld; then
    scancel --quiet --partition=debug 2>/dev/null || true
  fi
  local d pid i
  for d in "${daemons[@]}"; do
    [ -s "$dir/$d.pid" ] || continue
    pid=$(cat "$dir/$d.pid")
    if running "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do
        running "$pid" || break
        sleep 0.1
      done
      if running "$pid"; then
        log "$d ($pid) ignored TERM for 10 s: KILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      log "stopped $d ($pid)"
    fi
    rm -f "$dir/$d.pid"
  done
  rm -f "$dir/munge/munged.pid"
}

status() {
  export SLURM_CONF="$dir/slurm.conf"
  sinfo
  squeue --all
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status [DIR]" ;;
esac
