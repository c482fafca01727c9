#!/usr/bin/env bash
# Prints the longest classes (lines per file) and the longest methods (lines from the opening to the
# closing brace) of the main code, so "longest class / longest method" can be reported.
# Report only: it exits 0 whatever it finds and is not part of CI. Brace counting, after removing
# comments, strings and character literals; a lambda or anonymous class body counts inside the
# method that holds it, a lambda assigned to a field counts as a method.
#
#   scripts/code-sizes.sh            # the 10 longest of each over every module
#   scripts/code-sizes.sh 20 backup-core
set -euo pipefail
cd "$(dirname "$0")/.."
top="${1:-10}"
shift || true
roots=("$@")
if [ ${#roots[@]} -eq 0 ]; then
  roots=(.)
fi
program=$(
  cat <<'PY'
import re, sys

top = int(sys.argv[1])
files = sys.argv[2:]
TYPE = re.compile(r"\b(class|interface|enum|record)\s+\w+")
CONTROL = re.compile(r"^\s*(if|for|while|switch|try|catch|finally|else|do|synchronized|return|new)\b")
NAME = re.compile(r"(\w+)\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*(throws[\w\s.,<>]*)?$")

def strip(text):
    # comments, text blocks, strings, chars -> blanks (newlines kept for line numbers)
    pattern = re.compile(r'//[^\n]*|/\*.*?\*/|"""(?:.|\n)*?"""|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)

classes, methods = [], []
for path in files:
    raw = open(path, encoding="utf-8").read()
    classes.append((raw.count("\n"), path))
    text = strip(raw)
    stack = []  # (kind, name, start line)
    pending = ""
    line = 1
    for ch in text:
        if ch == "\n":
            line += 1
            pending += " "
        elif ch == "{":
            sig = " ".join(pending.split())
            enclosing = stack[-1][0] if stack else "file"
            if TYPE.search(sig) and not re.search(r"\bnew\b", sig):
                kind, name = "type", TYPE.search(sig).group(0).split()[-1]
            elif enclosing == "type" and "(" in sig and not CONTROL.match(sig):
                m = NAME.search(sig.split("=")[0].strip()) if "=" in sig and "->" in sig else NAME.search(sig)
                kind, name = "method", (m.group(1) if m else sig.split("(")[0].split()[-1] if sig.split("(")[0].split() else "?")
            else:
                kind, name = "block", ""
            stack.append((kind, name, line))
            pending = ""
        elif ch == "}":
            if stack:
                kind, name, start = stack.pop()
                if kind == "method":
                    owner = ".".join(n for k, n, _ in stack if k == "type")
                    methods.append((line - start + 1, f"{path}:{start} {owner}.{name}"))
            pending = ""
        elif ch == ";":
            pending = ""
        else:
            pending += ch

print(f"longest classes (lines per file, of {len(classes)} files):")
for n, p in sorted(classes, reverse=True)[:top]:
    print(f"  {n:5d}  {p}")
print(f"longest methods (lines, of {len(methods)} methods):")
for n, p in sorted(methods, reverse=True)[:top]:
    print(f"  {n:5d}  {p}")
PY
)
find "${roots[@]}" -path '*/src/main/java/*.java' -not -path '*/target/*' -print0 |
  xargs -0 python3 -c "$program" "$top"
