# room.sh: drives a ceremony in a tmux pane as the people in the room would (sourced
# by the tmux tests after lib.sh). room_start CMD... runs CMD on an 80x40 terminal;
# room_drive calls the test's answer() with each new prompt line (its trailing
# spaces removed) until the command ends, then leaves the joined pane in $T/pane,
# the raw 80-column pane in $T/raw and the pane flattened to one line in $T/flat.
ROOM_SOCK=ceremony-test-$$
tm() { tmux -L "$ROOM_SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$T"' EXIT
screen() { tm capture-pane -p -J -S - -t room; }
last() { screen | grep -v '^ *$' | tail -n 1 | sed 's/ *$//'; }
send() { tm send-keys -t room -l "$1"; tm send-keys -t room Enter; }
room_start() {
	q=""
	for a in "$@"; do q="$q \"$a\""; done
	tm new-session -d -x 80 -y 40 -s room "sh -c '$q; echo CEREMONY-EXIT=\$?; sleep 30'"
}
room_drive() {
	i=0
	while [ $i -lt 160 ]; do
		i=$((i + 1))
		sleep 0.25
		l=$(last)
		case $l in
		*CEREMONY-EXIT=*) break ;;
		*:) answer "$l" && sleep 0.25 ;;
		esac
	done
	screen >"$T/pane"
	tm capture-pane -p -S - -t room >"$T/raw"
	tr -s ' \n' '  ' <"$T/pane" >"$T/flat"
}
