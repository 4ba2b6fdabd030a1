#!/usr/bin/env bash
# NeuralJ on a real SLURM, on this one machine (run as root; Debian packages slurm-wlm and munge):
# configures and starts munged, slurmctld and slurmd in a temporary folder, writes a 4-task job array
# with `neuralj slurm`, submits it over a folder of sample images, kills one task midway (scancel),
# resubmits the same script for a list of task IDs only (`sbatch --array=0,2,3`: the killed one and two
# finished ones), and checks that every output exists once, no temporary file is left, each input was
# written by exactly one task run, each resubmitted task did the same shard as in the first run, and
# every output equals the single-process result.
#
#   bash scripts/slurm-test.sh              # the full test: 24 images (about a minute on 2 cores)
#   IMAGES=8 bash scripts/slurm-test.sh     # shorter
# Needs the packaged jar (built here with `mvn -q -B package -DskipTests` when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
IMAGES=${IMAGES:-24}
TASKS=4
KILL_TASK=2
RESUBMIT="0,$KILL_TASK,3"   # a list, not a range: the shards must not be recounted from it

fail() { echo "slurm-test: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (it starts munged, slurmctld and slurmd)"
for p in munged slurmctld slurmd sbatch squeue scancel; do
    command -v "$p" >/dev/null || fail "$p not found: apt-get install -y slurm-wlm munge"
done
JAR=$(ls "$ROOT"/target/NeuralJ_-*.jar 2>/dev/null | head -1 || true)
if [ -z "$JAR" ] || [ ! -d "$ROOT/target/jars" ]; then
    mvn -q -B package -DskipTests
    JAR=$(ls "$ROOT"/target/NeuralJ_-*.jar | head -1)
fi
CP="$ROOT/target/classes:$ROOT/target/jars/*"

W=$(mktemp -d /tmp/neuralj-slurm-XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
    # end only the daemons this script started, by their pid files
    for f in "$W/slurmd.pid" "$W/slurmctld.pid" "$W/munged.pid"; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    sleep 1
    [ "${KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT

# --- munge: its own key, socket and pid file in $W ---------------------------------------------------
mkdir -p "$W/munge"
chown munge:munge "$W/munge"; chmod 700 "$W/munge"
dd if=/dev/urandom of="$W/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$W/munge/munge.key"; chmod 400 "$W/munge/munge.key"
MUNGE_SOCKET="$W/munge/munge.socket"
runuser -u munge -- munged --key-file="$W/munge/munge.key" --socket="$MUNGE_SOCKET" \
    --pid-file="$W/munge/munged.pid" --log-file="$W/munge/munged.log" --seed-file="$W/munge/munged.seed" --force
cp "$W/munge/munged.pid" "$W/munged.pid"

# --- slurm: controller and one compute node (this machine) --------------------------------------------
HOST=$(hostname -s)
NODE=$(slurmd -C | head -1)                       # NodeName=... CPUs=... RealMemory=...
mkdir -p "$W/state" "$W/spool"
export SLURM_CONF="$W/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=neuralj-test
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
SlurmctldPort=${SLURMCTLD_PORT:-16817}
SlurmdPort=${SLURMD_PORT:-16818}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
$NODE State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for i in $(seq 1 60); do
    sinfo -h -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)' && break
    sleep 1
    [ "$i" = 60 ] && { tail -20 "$W/slurmctld.log" "$W/slurmd.log" >&2; fail "the node did not come up"; }
done
echo "slurm-test: SLURM up: $(sinfo -h -o '%P %D %c CPUs %T')"

# --- data and the single-process reference ------------------------------------------------------------
java -cp "$CP" scripts/SlurmTestImages.java make "$W/images" "$IMAGES"
t0=$(date +%s)
java -cp "$JAR" org.neuralj.cli.Main apply sample-data/models/blob-detector.onnx "$W/images" --output "$W/reference" --backend cpu \
    > "$W/reference.log"
echo "slurm-test: single-process reference in $(( $(date +%s) - t0 )) s"

# --- the job array -----------------------------------------------------------------------------------
cd "$W"
java -cp "$JAR" org.neuralj.cli.Main slurm --tasks $TASKS --cpus 1 --mem 1G --time 00:10:00 --log-dir "$W/logs" \
    --script "$W/job.sbatch" -- apply "$ROOT/sample-data/models/blob-detector.onnx" images --output out --backend cpu
submit() { sbatch --parsable "$@" "$W/job.sbatch" | cut -d';' -f1; }
wait_job() {
    for i in $(seq 1 300); do
        [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
        sleep 1
    done
    fail "job $1 did not finish in 300 s"
}
t0=$(date +%s)
JOB=$(submit)
echo "slurm-test: submitted job array $JOB ($TASKS tasks)"
# kill task $KILL_TASK once it has written its first output (so it is midway)
killed=0
for i in $(seq 1 600); do
    LOG=$(ls "$W"/logs/*-"${JOB}_${KILL_TASK}".out 2>/dev/null || true)
    if [ -n "$LOG" ] && grep -q -- ' -> ' "$LOG"; then
        scancel "${JOB}_${KILL_TASK}"
        killed=1
        echo "slurm-test: cancelled task $KILL_TASK after: $(grep -c -- ' -> ' "$LOG") output(s)"
        break
    fi
    sleep 0.2
done
[ "$killed" = 1 ] || fail "task $KILL_TASK never wrote an output"
wait_job "$JOB"
first=$(find "$W/out" -name '*.tif' | wc -l)
echo "slurm-test: after the first run: $first of $IMAGES outputs"
[ "$first" -lt "$IMAGES" ] || fail "the cancelled task had already finished: nothing left to resume (use more IMAGES)"

JOB2=$(submit --array="$RESUBMIT")
echo "slurm-test: resubmitted tasks $RESUBMIT only, as $JOB2"
wait_job "$JOB2"
echo "slurm-test: both runs in $(( $(date +%s) - t0 )) s"

# --- checks -----------------------------------------------------------------------------------------
n=$(find "$W/out" -name '*.tif' | wc -l)
[ "$n" = "$IMAGES" ] || fail "$n outputs, expected $IMAGES"
left=$(find "$W/out" -name '.*' -type f | wc -l)
[ "$left" = 0 ] || fail "$left temporary file(s) left: $(find "$W/out" -name '.*' -type f)"
# each input written by exactly one task run (a cancelled input never got its "->" line)
dups=$(cat "$W"/logs/*.out | grep -- ' -> ' | sed -E 's/^\[ *[0-9]+\/[0-9]+\] ([^ ]+) -> .*/\1/' | sort | uniq -d)
[ -z "$dups" ] || fail "written twice: $dups"
written=$(cat "$W"/logs/*.out | grep -c -- ' -> ')
[ "$written" = "$IMAGES" ] || fail "$written '->' lines in the logs, expected $IMAGES"
skipped=$(cat "$W"/logs/*"_${JOB2}_"*.out "$W"/logs/*"-${JOB2}_"*.out 2>/dev/null | grep -c ' skipped: ' || true)
echo "slurm-test: the resubmission skipped $skipped finished input(s)"
for t in ${RESUBMIT//,/ }; do
    log2=$(ls "$W"/logs/*-"${JOB2}_$t".out 2>/dev/null) || fail "resubmitted task $t left no log"
    grep -q "shard $((t + 1))/$TASKS (SLURM_ARRAY_TASK_ID=$t, NEURALJ_SHARDS=$TASKS)" "$log2" \
        || fail "resubmitted task $t did not do shard $((t + 1))/$TASKS: $(grep shard "$log2")"
    # a task that finished in the first run finds every output of its shard there: it writes nothing
    if [ "$t" != "$KILL_TASK" ] && grep -q -- ' -> ' "$log2"; then fail "task $t wrote again: its shard changed"; fi
done
ls "$W"/logs/*-"${JOB2}_1".out >/dev/null 2>&1 && fail "task 1 was not resubmitted but ran"
cd "$ROOT"
java -cp "$CP" scripts/SlurmTestImages.java compare "$W/reference" "$W/out" || fail "outputs differ from the single-process run"
echo "slurm-test: PASSED: $IMAGES images, $TASKS-task array, task $KILL_TASK cancelled midway and resumed by --array=$RESUBMIT; every output once and identical"
echo "slurm-test: 1 passed, 0 failed"
