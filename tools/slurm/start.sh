#!/usr/bin/env bash
# Starts a single-node Slurm on localhost for tests: munged, slurmctld and slurmd, all with their
# state, sockets, logs and configuration inside DIR (created if missing), on free TCP ports of
# 127.0.0.1 only, so that it touches no system-wide Slurm or munge and two instances can coexist.
#
#   tools/slurm/start.sh DIR        # prints "export SLURM_CONF=DIR/slurm.conf" when the node is idle
#   export SLURM_CONF=DIR/slurm.conf; sbatch ...; squeue; sacct --completion ...
#   tools/slurm/stop.sh DIR
#
# Needs Debian's slurm-wlm and munge (Slurm 22.05 on Debian 12) and root: slurmd runs jobs as
# their submitting user and munged must own its files. Exit status: 0 when the node is idle,
# 3 when a prerequisite is missing (the caller may skip), 1 when the daemons fail to come up.
set -euo pipefail

if [ $# -ne 1 ]; then echo "usage: $0 DIR" >&2; exit 2; fi
DIR=$(mkdir -p "$1" && cd "$1" && pwd)

for tool in munged slurmctld slurmd sinfo sbatch; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "slurm: $tool not found; install Debian's packages: apt-get install -y slurm-wlm munge" >&2; exit 3
  fi
done
if [ "$(id -u)" -ne 0 ]; then echo "slurm: expected to run as root (slurmd runs jobs as their users), found uid $(id -u)" >&2; exit 3; fi

mkdir -p "$DIR/munge" "$DIR/ctld" "$DIR/d" "$DIR/log"
chmod 700 "$DIR/munge"

# A port is free when no socket of /proc/net/tcp{,6} is bound to it (hex, after the address's colon).
port_free() {
  local hex; hex=$(printf ':%04X ' "$1")
  ! grep -q -- "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if port_free "$p" && port_free "$((p + 1))"; then echo "$p"; return 0; fi
  done
  echo "slurm: no free port pair found in 20000-50000" >&2; return 1
}
CTLD_PORT=$(pick_port)
SLURMD_PORT=$((CTLD_PORT + 1))

# A key of its own, so that this munged never vouches for (or trusts) anything outside DIR.
if [ ! -f "$DIR/munge/munge.key" ]; then
  head -c 1024 /dev/urandom >"$DIR/munge/munge.key"
  chmod 400 "$DIR/munge/munge.key"
fi
SOCKET="$DIR/munge/munge.socket"
# --force: munged refuses keys and folders it finds insecure (e.g. a world-writable /tmp above DIR).
munged --force --key-file="$DIR/munge/munge.key" --socket="$SOCKET" \
  --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"

CPUS=2
cat >"$DIR/slurm.conf" <<CONF
# Written by tools/slurm/start.sh: a one-node test cluster on 127.0.0.1.
ClusterName=pneuknow-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/d
SlurmctldPidFile=$DIR/ctld/slurmctld.pid
SlurmdPidFile=$DIR/d/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
# No cgroups: containers and CI machines seldom delegate them.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No accounting database; finished jobs are recorded in a text file that \`sacct --completion\` reads.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
# Finished jobs stay visible to squeue/scontrol for 10 minutes.
MinJobAge=600
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
echo "$CTLD_PORT" >"$DIR/ports"

export SLURM_CONF="$DIR/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost

# Idle means: the controller answers and the node has registered with nothing running.
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -n localhost -o %T 2>/dev/null || true)
  if [ "$state" = "idle" ]; then echo "export SLURM_CONF=$SLURM_CONF"; exit 0; fi
  sleep 1
done
echo "slurm: node not idle after 60 s (sinfo state: '${state:-no answer}'); logs under $DIR/log:" >&2
tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
exit 1
