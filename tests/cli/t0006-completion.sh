#!/bin/bash
# The bash completion (built from the command table by `provision help --completion`): sourced
# in bash, registered for provision, and driven as bash would (COMP_WORDS, COMP_CWORD, the
# function `complete -p` names): commands, group subcommands, options per command, option
# values (stages), and names provision lists itself: templates, guests, LUNs of the site.
. "$SRCDIR/tests/cli/lib.sh"
completion=$BUILDDIR/dist/provision
[ -f "$completion" ] || fail "no $completion"
. "$completion"

spec=$(complete -p provision) || fail "no completion registered for provision"
expect_eq "$spec" "complete -F _provision provision"
fn=${spec#complete -F }
fn=${fn%% *}

# comp WORD... CUR: COMPREPLY for the cursor on CUR after WORDS, sorted, one line
comp() {
	COMP_WORDS=("$PROVISION" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=${COMP_WORDS[*]}
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"$fn" provision "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	[ ${#COMPREPLY[@]} = 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
}

# every command of `provision help` is offered: first words, then a group's subcommands
want=$("$PROVISION" help | sed -n '/^commands:/,/^$/{s/^  \([a-z-]*\).*/\1/p}' | sort -u | tr '\n' ' ')
expect_eq "$(comp "")" "$want"
expect_eq "$(comp l)" "list lun "
expect_eq "$(comp lun "")" "carve init list "
expect_eq "$(comp template c)" "check "
expect_eq "$(comp help lun "")" "carve init list "
expect_eq "$(comp --json lun l)" "list "

# options: the command's own and the global ones, as `provision help CMD` lists them
expect_eq "$(comp destroy --)" "--dry-run --help --json --site --verbose --version --yes "
expect_eq "$(comp lun carve --l)" "--layout "
expect_eq "$(comp new-guest web1 --re)" "--request "
expect_eq "$(comp --)" "--dry-run --help --json --site --verbose --version "
n_checks=$((n_checks + 1))
for o in $("$PROVISION" help batch | grep -o -- '--[a-z-]*' | sort -u); do
	case " $(comp batch --) " in *" $o "*) ;; *) fail "batch: $o not offered" ;; esac
done

# option values: stages; an option's argument is not taken for the command's argument
expect_eq "$(comp new-guest web1 --until c)" "carve configs "
expect_eq "$(comp batch --until "")" "allocate boot carve configs format install network "
expect_eq "$(comp resume --until boot "")" ""

# names from provision itself, with the command line's --site: templates, guests, LUNs
mkdir -p "$T/configs" "$T/state" "$T/templates"
sed "s|@T@|$T|g" "$SRCDIR/tests/data/pipeline/site.yaml" >"$T/site.yaml"
printf 'description: web server\nextends: debian\n' >"$T/templates/web.yaml"
truncate -s 100G "$T/lun0.img" "$T/lun1.img"
run 0 "$PROVISION" --site "$T/site.yaml" lun init "$T/lun0.img"
run 0 "$PROVISION" --site "$T/site.yaml" new-guest web1 --template debian --vlan 10 --until allocate
run 0 "$PROVISION" --site "$T/site.yaml" new-guest web2 --template debian --vlan 10 --until allocate
expect_eq "$(comp --site "$T/site.yaml" new-guest web3 --template "")" "debian debian-pvgrub hvm hvm-fai lab web "
expect_eq "$(comp --site "$T/site.yaml" render web3 -t w)" "web "
expect_eq "$(comp --site "$T/site.yaml" template show "")" "debian debian-pvgrub hvm hvm-fai lab web "
expect_eq "$(comp --site "$T/site.yaml" destroy "")" "web1 web2 "
expect_eq "$(comp --site "$T/site.yaml" show w)" "web1 web2 "
expect_eq "$(comp --site "$T/site.yaml" show web1 "")" ""
expect_eq "$(comp --site "$T/site.yaml" new-guest "")" ""
expect_eq "$(comp --site "$T/site.yaml" lun init "")" "$T/lun0.img $T/lun1.img "
expect_eq "$(comp --site "$T/site.yaml" disk prepare web3 --lun "$T/lun1")" "$T/lun1.img "
# PROVISION_SITE as well; no site at all: nothing offered, nothing printed
expect_eq "$(PROVISION_SITE=$T/site.yaml comp resume "")" "web1 web2 "
expect_eq "$(comp --site "$T/nope.yaml" destroy "" 2>&1)" ""

# files where the table says FILE
touch "$T/course.yaml"
expect_eq "$(comp batch "$T/cou")" "$T/course.yaml "
expect_eq "$(comp template check "$T/cou")" "$T/course.yaml "
expect_eq "$(comp new-guest -t "$T/cou")" "$T/course.yaml "
done_testing
