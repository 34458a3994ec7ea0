#!/bin/bash
# Every C file in the tree is formatted with the checked-in .clang-format (STYLE.md).
set -u
cd "$SRCDIR" || exit 1
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ ${#files[@]} -gt 0 ] || { echo "no C files found"; exit 1; }
if clang-format --dry-run --Werror "${files[@]}"; then
	echo "ok: ${#files[@]} files formatted"
else
	echo "run: clang-format -i FILE for the files above"
	exit 1
fi
