#!/bin/sh
# The command table: help, version and exit statuses of the program and each command.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "--help" "$CEREMONY" --help
tr '\n' ' ' <"$T/out" | grep -q 'check .*rehearse .*run .*verify .*tokens .*answers' && ok "commands listed in order" || not_ok "commands listed in order"
expect_out "it documents the exit status" "EXIT STATUS"
expect_exit 0 "--version" "$CEREMONY" --version
expect_out "the version names the program" "^ceremony [0-9]+\.[0-9]+\.[0-9]+ \("
expect_exit 2 "no command is bad usage" "$CEREMONY"
expect_exit 2 "an unknown command is bad usage" "$CEREMONY" rehaerse x
expect_out "it says so" "unknown command 'rehaerse'"
for c in check rehearse run verify tokens answers; do
	expect_exit 0 "$c --help" "$CEREMONY" $c --help
	expect_out "$c --help documents the exit status" "EXIT STATUS"
	expect_exit 0 "$c --version" "$CEREMONY" $c --version
done
expect_exit 2 "check without a script is bad usage" "$CEREMONY" check
expect_exit 2 "rehearse with an unknown option is bad usage" "$CEREMONY" rehearse --frobnicate x.yaml
expect_exit 2 "run without --bind is bad usage" "$CEREMONY" run "$TOP/ceremonies/course-exercise.yaml"

# A sign-off before anyone is recorded present could never pass: refused at check.
cat >"$T/early.yaml" <<'YAML'
ceremony: 1
title: sign-off before attendance
roles: {witness: {count: 1}}
steps:
  - id: first
    type: manual
    signoff: [witness]
  - id: attendance
    type: attendance
YAML
expect_exit 2 "a sign-off before attendance is refused" "$CEREMONY" check "$T/early.yaml"
expect_out "it points at the sign-off" "early.yaml:7:14: step 'first' asks for sign-offs, but no attendance step"

# make install puts the program, the man page, the schemas and the ceremonies in place.
make -s -C "$TOP" install DESTDIR="$T/inst" PREFIX=/usr >"$T/out" 2>&1
[ -x "$T/inst/usr/bin/ceremony" ] && [ -f "$T/inst/usr/share/man/man1/ceremony.1" ] &&
	[ -f "$T/inst/usr/share/ceremony/schemas/ceremony.schema.json" ] &&
	[ -f "$T/inst/usr/share/ceremony/ceremonies/course-exercise.yaml" ] && ok "make install DESTDIR= PREFIX=" ||
	not_ok "make install DESTDIR= PREFIX=" "$(cat "$T/out")"
expect_exit 0 "the installed program runs" "$T/inst/usr/bin/ceremony" --version
man -l "$T/inst/usr/share/man/man1/ceremony.1" 2>/dev/null | grep -q 'EXIT STATUS' && ok "the man page has EXIT STATUS" ||
	{ grep -q '^.SH EXIT STATUS' "$TOP/doc/ceremony.1" && ok "the man page has EXIT STATUS" || not_ok "the man page has EXIT STATUS"; }
echo "1..$n"
