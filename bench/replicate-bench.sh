#!/usr/bin/env bash
# Measures replicate file:// -> file:// side by side with cp -a and rsync -a of the same repository,
# in one run, on backups of the reference database (make-bench-db.sh):
#
#   bench/replicate-bench.sh [ROUNDS]                       (default 1 round)
#   BENCH_SCALE=20 BENCH_BACKUPS=3 bench/replicate-bench.sh (a smaller reference database)
#
# The primary repository is made once (BENCH_BACKUPS dumps of the database with db-backup backup,
# kept in bench/out/replicate-primary for the next run). Each round copies it, into an empty
# directory each time, with:
#
# cp -a       : cp -a PRIMARY DST                     (a plain copy: no check, no fsync)
# rsync -a    : rsync -a PRIMARY/ DST/                (what people reach for: whole-file checksum, no fsync)
# rsync+sync  : rsync -a PRIMARY/ DST/; sync          (the same, written to disk as ours is)
# ours        : retention replicate                   (each object fsynced, read back and its SHA-256
#                                                      checked against the record; record last)
# ours again  : retention replicate, nothing new      (catalog compare only)
#               (for both ours lines, "in-run" is the time between the run's first log line and
#               its summary: the work without the JVM's start and exit)
# rsync again : rsync -a PRIMARY/ DST/, nothing new   (compares every file's size and time)
#
# Seconds, CPU seconds (user + system: what the machine's other load changes least) and peak RSS
# come from GNU time; the JVM runs with -Xmx128m -XX:+UseSerialGC, as the image
# runs it. The page cache is not dropped (the machine is shared): every line reads a primary that
# the line before it has just read, so all of them read from memory, and before each line the
# kernel writes back its dirty pages (sync), so that no line pays for the writeback of the one
# before it.
. "$(dirname "$0")/lib.sh"
rounds=${1:-1}
backups=${BENCH_BACKUPS:-3}
bench_db
if [ ! -f "$ROOT/job-retention/target/job-retention.jar" ]; then
  (cd "$ROOT" && mvn -B -q -DskipTests package >&2)
fi
bench_build
dump_jar=$ROOT/job-db-backup/target/job-db-backup.jar
jar=$ROOT/job-retention/target/job-retention.jar
primary=$OUT/replicate-primary
export BACKUP_KEK_URI=$OUT/replicate-bench-keyset.json BACKUP_LOG_FORMAT=text
[ -s "$BACKUP_KEK_URI" ] || java -jar "$dump_jar" keyset generate --out "$BACKUP_KEK_URI" >&2
mkdir -p "$primary/catalog"
have=$(find "$primary/catalog" -name '*.json' | wc -l)
while [ "$have" -lt "$backups" ]; do
  echo "making backup $((have + 1)) of $backups in $primary" >&2
  BACKUP_STORAGE_URL=file://$primary java -Xmx128m -XX:+UseSerialGC -jar "$dump_jar" backup \
    --database "$BENCH_DB" >&2
  have=$((have + 1))
done
bytes=$(du -sb --exclude='.incoming*' "$primary" | cut -f1)
files=$(find "$primary" -type f | wc -l)
# "<seconds> <peak RSS KiB> <CPU seconds>" of a command; its own output goes to stderr
timed() {
  local t
  t=$(mktemp)
  /usr/bin/time -f '%e %M %U %S' -o "$t" "$@" >&2
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$t"
  rm -f "$t"
}
ours() {
  timed env BACKUP_STORAGE_URL="file://$primary" java -Xmx128m -XX:+UseSerialGC -jar "$jar" \
    replicate --secondary-url "file://$1" 2> "$OUT/replicate-ours.log"
}
# seconds from the run's first log line ("replicating ...") to its summary: the work without the
# JVM's start and exit
in_run() {
  grep -E 'INFO +(replicating|copied [0-9]+ backups)' "$OUT/replicate-ours.log" | cut -d' ' -f1 \
    | { read -r a; read -r b; echo "$(date -d "$a" +%s.%N) $(date -d "$b" +%s.%N)"; } \
    | awk '{ printf "%.2f", $2 - $1 }'
}

printf 'repository %s: %s backups of database %s, %s files, %s bytes; %s cores\n' "$primary" \
  "$backups" "$BENCH_DB" "$files" "$bytes" "$(nproc)"
printf '%-6s %-12s %9s %9s %12s %8s %7s\n' round run seconds cpu-s peak-RSS-MiB MiB/s in-run
for r in $(seq 1 "$rounds"); do
  for line in cp-a rsync-a rsync+sync ours ours-again rsync-again; do
    dst=$OUT/replicate-dst-$line
    case $line in
      ours-again) dst=$OUT/replicate-dst-ours ;;
      rsync-again) dst=$OUT/replicate-dst-rsync-a ;;
      *) rm -rf "$dst" ;;
    esac
    sync
    case $line in
      cp-a) read -r s m c < <(timed cp -a "$primary" "$dst") ;;
      rsync-a | rsync-again) read -r s m c < <(timed rsync -a "$primary/" "$dst/") ;;
      rsync+sync) read -r s m c < <(timed bash -c "rsync -a '$primary/' '$dst/' && sync") ;;
      ours | ours-again) read -r s m c < <(ours "$dst") ;;
    esac
    case $line in
      *again) rate=- ;;
      *) rate=$(mib_per_s "$bytes" "$s") ;;
    esac
    case $line in
      ours*) run=$(in_run) ;;
      *) run=- ;;
    esac
    printf '%-6s %-12s %9s %9s %12s %8s %7s\n' "$r" "$line" "$s" "$c" $((m / 1024)) "$rate" "$run"
  done
  # the copies must hold the same objects: ours leaves out uploads in progress, the empty
  # directory of the backups' write probes and audit events
  diff -r -x '.incoming*' -x audit -x probe "$primary" "$OUT/replicate-dst-ours" >&2 \
    || { echo "the replicated repository differs from the primary" >&2; exit 1; }
  rm -rf "$OUT"/replicate-dst-*
done
