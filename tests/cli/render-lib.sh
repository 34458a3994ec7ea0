# Shared by the render and pipeline CLI tests: a scratch site under $T (see lib.sh).
# render_site: writes $T/site.yaml from tests/data/render/site.yaml and the directories it
# names; exports PROVISION_SITE and PROVISION_TEMPLATES_DIR (the built-in templates).
render_site() {
	mkdir -p "$T/configs" "$T/state" "$T/templates"
	sed "s|@T@|$T|g" "$SRCDIR/tests/data/render/site.yaml" >"$T/site.yaml"
	export PROVISION_SITE=$T/site.yaml
	export PROVISION_TEMPLATES_DIR=${PROVISION_TEMPLATES_DIR:-$SRCDIR/templates}
}

# xlget FILE KEY: what Xen's own parser (libxlutil) reads for KEY in FILE
xlget() {
	"$BUILDDIR/tests/xlcfg-get" "$1" "$2"
}

# expect_xl FILE KEY VALUE: Xen's parser reads VALUE for KEY
expect_xl() {
	local got
	got=$(xlget "$1" "$2") || fail "xl parser rejects $1"
	n_checks=$((n_checks + 1))
	[ "$got" = "$3" ] || fail "$1: $2 = '$got', want '$3'"
}

# tree_sum DIR: a checksum of every file (name and content) under DIR
tree_sum() {
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) | sha256sum
}
