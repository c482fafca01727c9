#!/usr/bin/env bash
# Measures job-verify's integrity level on a full-size backup, side by side in one run with the shell
# pipeline that checks the same thing, on the reference database (make-bench-db.sh):
#
#   bench/verify-bench.sh [ROUNDS]         (default 2 rounds)
#
# Setup, once per run: `db-backup backup --database bench` into a file:// repository, and the same
# pg_dump -Fc -Z0 output through `zstd -3 -T2 | openssl enc -aes-256-ctr` into a file.
# ours : verify verify --all --no-freshness  (read, decrypt, decompress, SHA-256 against the record)
# shell: openssl enc -d -aes-256-ctr | zstd -d | sha256sum
# Seconds and peak RSS from GNU time; the JVM runs as the images do (-XX:+UseSerialGC), -Xmx128m.
. "$(dirname "$0")/lib.sh"
rounds=${1:-2}
bench_db
bench_build
repo=$OUT/verify-repo
export BACKUP_KEK_URI=$OUT/db-bench-keyset.json BACKUP_STORAGE_URL=file://$repo BACKUP_LOG_FORMAT=text
java="java -Xmx128m -XX:+UseSerialGC"
[ -s "$BACKUP_KEK_URI" ] || $java -jar "$ROOT/job-db-backup/target/job-db-backup.jar" keyset generate --out "$BACKUP_KEK_URI" >&2
rm -rf "$repo" "$OUT/verify-shell.enc"
$java -jar "$ROOT/job-db-backup/target/job-db-backup.jar" backup --database "$BENCH_DB" >&2
head -c 32 /dev/urandom | base64 > "$OUT/openssl.pass"
pg_dump -Fc -Z0 -d "$BENCH_DB" | zstd -q -3 -T2 | openssl enc -aes-256-ctr -pbkdf2 -pass file:"$OUT/openssl.pass" -out "$OUT/verify-shell.enc"

printf 'backup: %s stored bytes (ours), %s (shell); %s cores\n' "$(du -sb "$repo/data" | cut -f1)" \
  "$(stat -c %s "$OUT/verify-shell.enc")" "$(nproc)"
printf '%-6s %-8s %9s %12s\n' round run seconds peak-RSS-MiB
for r in $(seq 1 "$rounds"); do
  read -r s m < <(measure $java -jar "$ROOT/job-verify/target/job-verify.jar" verify --all --no-freshness)
  printf '%-6s %-8s %9s %12s\n' "$r" ours "$s" $((m / 1024))
  read -r s m < <(measure bash -c "openssl enc -d -aes-256-ctr -pbkdf2 -pass file:'$OUT/openssl.pass' -in '$OUT/verify-shell.enc' | zstd -q -d -c | sha256sum > /dev/null")
  printf '%-6s %-8s %9s %12s\n' "$r" shell "$s" $((m / 1024))
done
rm -rf "$repo" "$OUT/verify-shell.enc"
