#!/usr/bin/env bash
# Measures the pipeline alone, side by side in one run with the shell pipeline a user would
# otherwise write, on the same input: a plain-format pg_dump of the reference database.
#
#   bench/pipeline-bench.sh [ROUNDS]       (default 2 rounds; each round runs all four, alternating)
#
# ours, store : file -> SHA-256 -> zstd -3 (2 workers) -> Tink AES256-GCM-HKDF -> file:// repository
# shell, store: zstd -3 -T2 < file | openssl enc -aes-256-ctr -pbkdf2 > file.enc
# ours, load  : repository -> decrypt -> zstd -d -> SHA-256
# shell, load : openssl enc -d -aes-256-ctr -pbkdf2 < file.enc | zstd -d | sha256sum
# Ours runs with the heap capped at 64 MiB (-Xmx64m). Ours fsyncs what it stores; the shell does not.
. "$(dirname "$0")/lib.sh"
rounds=${1:-2}
bench_db
bench_build
input=$OUT/bench.sql
if [ ! -s "$input" ]; then
  echo "saving a plain-format dump of '$BENCH_DB' to $input (once)" >&2
  pg_dump -Fp -d "$BENCH_DB" -f "$input.tmp" && mv "$input.tmp" "$input"
fi
size=$(stat -c %s "$input")
cp_file=$OUT/classpath.txt
[ -s "$cp_file" ] || (cd "$ROOT" && mvn -B -q -pl backup-core -am -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2)
cp="$ROOT/backup-core/target/classes:$ROOT/backup-core/target/test-classes:$(cat "$cp_file")"
keyset=$OUT/bench-keyset.json
[ -s "$keyset" ] || java -cp "$cp" io.aido.backup.core.bench.PipelineBench keyset "$keyset" >&2
head -c 32 /dev/urandom | base64 > "$OUT/openssl.pass"

printf 'input: %s, %s bytes; %s cores; java %s\n' "$input" "$size" "$(nproc)" \
  "$(java -version 2>&1 | head -1 | cut -d'"' -f2)"
printf '%-6s %-12s %9s %9s %12s %12s\n' round run seconds MiB/s peak-RSS-MiB stored-bytes
for r in $(seq 1 "$rounds"); do
  repo=$OUT/repo-$r
  rm -rf "$repo" "$OUT/shell-$r.enc"
  read -r s m < <(measure java -Xmx64m -cp "$cp" io.aido.backup.core.bench.PipelineBench store "$input" "$repo" "$keyset")
  stored=$(du -sb "$repo/data" | cut -f1)
  printf '%-6s %-12s %9s %9s %12s %12s\n' "$r" "ours-store" "$s" "$(mib_per_s "$size" "$s")" $((m / 1024)) "$stored"
  read -r s m < <(measure bash -c "zstd -q -3 -T2 -c '$input' | openssl enc -aes-256-ctr -pbkdf2 -pass file:'$OUT/openssl.pass' -out '$OUT/shell-$r.enc'")
  printf '%-6s %-12s %9s %9s %12s %12s\n' "$r" "shell-store" "$s" "$(mib_per_s "$size" "$s")" $((m / 1024)) "$(stat -c %s "$OUT/shell-$r.enc")"
  read -r s m < <(measure java -Xmx64m -cp "$cp" io.aido.backup.core.bench.PipelineBench load "$repo" "$keyset")
  printf '%-6s %-12s %9s %9s %12s %12s\n' "$r" "ours-load" "$s" "$(mib_per_s "$size" "$s")" $((m / 1024)) "-"
  read -r s m < <(measure bash -c "openssl enc -d -aes-256-ctr -pbkdf2 -pass file:'$OUT/openssl.pass' -in '$OUT/shell-$r.enc' | zstd -q -d -c | sha256sum > '$OUT/shell-$r.sha'")
  printf '%-6s %-12s %9s %9s %12s %12s\n' "$r" "shell-load" "$s" "$(mib_per_s "$size" "$s")" $((m / 1024)) "-"
  rm -rf "$repo" "$OUT/shell-$r.enc"
done
