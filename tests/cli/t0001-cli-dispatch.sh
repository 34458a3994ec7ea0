#!/bin/bash
# The dispatcher: help from the command table, usage errors exit 2, typos get a suggestion.
. "$SRCDIR/tests/cli/lib.sh"

run 0 "$PROVISION" --version
expect_out "provision "
run 0 "$PROVISION" --help
expect_out "commands:"
expect_out "help "
run 2 "$PROVISION"
run 0 "$PROVISION" help help
expect_out "usage: provision help"
run 2 "$PROVISION" hlep
expect_err_line "provision: error: unknown command 'hlep', did you mean 'help'?"
run 2 "$PROVISION" frobnicate-everything
expect_err_line "provision: error: unknown command 'frobnicate-everything'"
run 2 "$PROVISION" help -n
expect_err "does not take -n/--dry-run"
run 2 "$PROVISION" help --bogus
expect_err_line "provision: error: unknown option '--bogus'"
run 2 "$PROVISION" help a b c
expect_err "too many arguments for 'help'"
done_testing
