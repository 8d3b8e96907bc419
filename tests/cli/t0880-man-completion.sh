#!/bin/sh
# The man page and bash completion (issue 13, item 7): every command `ceremony --help`
# lists is in the man page's SYNOPSIS, DESCRIPTION and EXIT STATUS and in the
# completion; the page renders without warnings and has EXAMPLES; make install puts
# the completion in place; completing in bash offers the commands and each
# command's options.
. "$(dirname "$0")/lib.sh"
M="$TOP/doc/ceremony.1" B="$TOP/doc/ceremony.bash-completion"
cmds=$("$CEREMONY" --help | sed -n 's/^  \([a-z]*\)  .*/\1/p')
[ "$(echo "$cmds" | wc -w)" -ge 12 ] && ok "the program lists its commands ($(echo $cmds))" || not_ok "the program lists its commands" "$cmds"
man -l "$M" 2>"$T/man.err" | tr -s " " >"$T/man.txt"; [ ! -s "$T/man.err" ] && ok "the man page renders without warnings" ||
	not_ok "the man page renders without warnings" "$(head -5 "$T/man.err")"
for c in $cmds; do
	# rehearse and run have the general statuses, every other command its own line.
	case $c in rehearse | run) pat="^ 0 success; 1 the ceremony failed" ;; *) pat="(^| )$c[:,]" ;; esac
	sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' "$T/man.txt" | grep -q "ceremony $c" &&
		sed -n '/^DESCRIPTION/,/^SCRIPTS/p' "$T/man.txt" | grep -Eq "^ $c( |$)" &&
		sed -n '/^EXIT STATUS/,/^ERROR CODES/p' "$T/man.txt" | grep -Eq "$pat" &&
		grep -q "commands=.*\b$c\b" "$B" && ok "$c: in SYNOPSIS, DESCRIPTION, EXIT STATUS and the completion" ||
		not_ok "$c: in SYNOPSIS, DESCRIPTION, EXIT STATUS and the completion"
done
grep -q "^EXAMPLES" "$T/man.txt" && [ "$(sed -n '/^EXAMPLES/,/^SECURITY/p' "$T/man.txt" | grep -c '^ *ceremony ')" -ge 10 ] &&
	ok "EXAMPLES show the commands at work" || not_ok "EXAMPLES show the commands at work"
make -s -C "$TOP" install DESTDIR="$T/inst" PREFIX=/usr >"$T/out" 2>&1
[ -f "$T/inst/usr/share/bash-completion/completions/ceremony" ] && ok "make install puts the completion in place" ||
	not_ok "make install puts the completion in place" "$(cat "$T/out")"
complete() { # WORDS...: what bash offers for the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ceremony; printf "%s\n" "${COMPREPLY[@]}"' \
		sh "$B" ceremony "$@"
}
[ "$(complete rep | sort | tr '\n' ' ')" = "replay report " ] && ok "rep completes to replay and report" ||
	not_ok "rep completes to replay and report" "$(complete rep)"
complete verify --j | grep -qx -- --json && ok "verify --j completes to --json" || not_ok "verify --j completes to --json"
complete rehearse --af | grep -qx -- --after && ok "rehearse --af completes to --after" ||
	not_ok "rehearse --af completes to --after"
echo "1..$n"
