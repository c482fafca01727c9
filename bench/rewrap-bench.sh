#!/usr/bin/env bash
# Measures rewrap (key rotation without re-uploading): BACKUPS backups in a file:// repository,
# the keyset rotated, then every data key wrapped again by the new primary key.
#
#   bench/rewrap-bench.sh [BACKUPS] [PART_BYTES]     (default 1000 backups of 64 KiB each)
#
# Needs no database: rewrap reads records only, so the size of the data does not matter, and the
# run proves it: bytes read are counted per prefix (data/ must not appear), and the data/ tree's
# names, sizes and modification times are the same before and after.
#   in-process: KeyRewrap alone (RewrapBench), bytes read counted by a wrapping store
#   command     : java -jar job-db-backup.jar rewrap on a copy, JVM start and audit events included
. "$(dirname "$0")/lib.sh"
backups=${1:-1000}
part=${2:-65536}
bench_build
cp_file=$OUT/classpath.txt
[ -s "$cp_file" ] || (cd "$ROOT" && mvn -B -q -pl backup-core -am -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2)
cp="$ROOT/backup-core/target/classes:$ROOT/backup-core/target/test-classes:$(cat "$cp_file")"
repo=$OUT/rewrap-repo
keyset=$OUT/rewrap-keyset.json
rm -rf "$repo" "$repo-cli" "$keyset"
echo "populating $backups backups of $part bytes (once per run)" >&2
java -cp "$cp" io.aido.backup.core.bench.RewrapBench populate "$repo" "$keyset" "$backups" "$part" >&2
cp -a "$repo" "$repo-cli"
data_state() { (cd "$1/data" && find . -type f -printf '%p %s %T@\n' | sort | sha256sum | cut -c1-16); }
before=$(data_state "$repo")
data_bytes=$(du -sb "$repo/data" | cut -f1)

printf 'backups: %s, data: %s bytes; %s cores; java %s\n' "$backups" "$data_bytes" "$(nproc)" \
  "$(java -version 2>&1 | head -1 | cut -d'"' -f2)"
read -r s m < <(measure java -cp "$cp" io.aido.backup.core.bench.RewrapBench rewrap "$repo" "$keyset" 2>"$OUT/rewrap-inproc.out")
printf '%-11s %6s s  %s\n' in-process "$s" "$(grep '^rewrapped' "$OUT/rewrap-inproc.out")"
[ "$(data_state "$repo")" = "$before" ] && echo "data/ unchanged (names, sizes, mtimes)" || echo "data/ CHANGED"
read -r s m < <(measure env BACKUP_STORAGE_URL="file://$repo-cli" BACKUP_KEK_URI="$keyset" BACKUP_LOG_FORMAT=text \
  java -jar "$ROOT/job-db-backup/target/job-db-backup.jar" rewrap 2>"$OUT/rewrap-cli.out")
printf '%-11s %6s s  peak RSS %s MiB; %s\n' command "$s" $((m / 1024)) "$(grep '^rewrap:' "$OUT/rewrap-cli.out")"
[ "$(data_state "$repo-cli")" = "$before" ] && echo "data/ unchanged (names, sizes, mtimes)" || echo "data/ CHANGED"
