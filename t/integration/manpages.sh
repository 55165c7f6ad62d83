#!/bin/sh
# manpages.sh - the man pages and the programs say the same.
#
# For every program: the options its --help lists (the left column of the
# lines that start with an option) and those its man page lists (the .TP/.TQ
# tags of its OPTIONS sections) are the same, long and short forms; every
# option either names anywhere (prose, synopsis, examples of the program
# itself) is one the program accepts; every short option it accepts, and
# every long option of its getopt tables, is in --help.  For
# trendtrapd.conf(5): each section of the page documents exactly the
# options of the matching libConfuse schema table in trapd/config.c, and the
# options refused as inline secrets are named under SECRETS.  Every page
# renders without a warning.
. "$(dirname "$0")/../lib.sh"

PROGRAMS="plugins/check_disk_trend:man/check_disk_trend.1
plugins/check_mem_trend:man/check_mem_trend.1
plugins/check_error_trend:man/check_error_trend.1
trapd/trendtrap:man/trendtrap.1
trapd/trendtrapd:man/trendtrapd.8"
# The sources of each program's getopt tables ({"name", ..._argument, ...}).
sources() {
	case $1 in
	plugins/check_error_trend) echo plugins/check_error_trend.c plugins/plugin.c ;;
	plugins/*) echo "$1.c plugins/plugin.c plugins/remote_opts.c" ;;
	*) echo "$1.c" ;;
	esac
}

# Running a program with an option must never act: histories, sockets and
# HOME point into $T.
export TRENDTRAP_STATE_DIR=$T/state TRENDTRAP_SOCKET=$T/none.sock HOME=$T
cd "$TOP" || exit 1

# The option words of stdin (--long, -s), one per line, sorted.
words() {
	tr ',;|[]{}()"=' '          ' | tr -s ' \t' '\n\n' |
		grep -E '^(--[a-z][a-z0-9-]*[a-z0-9]|-[A-Za-z])$' | sort -u
}
# roff to plain text: continuation lines joined, escapes and fonts dropped.
plain() {
	sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' "$1" |
		sed -E 's/\\f[BIRP]//g; s/\\f\(..//g; s/\\-/-/g; s/\\\(..//g; s/\\e/\\/g; s/\\ / /g'
}
help_defs() {
	"$TOP/$1" --help 2>&1 | awk '/^ +-/ {
		sub(/^ +/, ""); i = index($0, "  "); if (i) $0 = substr($0, 1, i - 1); print }' | words
}
man_defs() {
	plain "$1" | awk '/^\.SH/ { opts = /OPTIONS/ } tag { print; tag = 0 }
		opts && /^\.(TP|TQ)/ { tag = 1 }' | sed -E 's/^\.[A-Z]+ ?//' | words
}
# Every option the page names: outside examples and literal blocks, and in
# them the commands that run PROG.
man_mentions() {
	plain "$1" | awk -v prog="$(basename "$2")" '
		/^\.SH/ { ex = /EXAMPLE/ } /^\.nf/ { nf = 1 } /^\.fi/ { nf = 0; next }
		/^\.(TH|\\")/ { next }
		!ex && !nf { print; next }
		{ n = split($0, cmd, /&&|\|\||[|;]/)
		  for (i = 1; i <= n; i++) if (cmd[i] ~ "^ *" prog "( |$)") print cmd[i] }' |
		sed -E 's/^\.[A-Z]+ ?//' | words
}
# Whether PROG accepts OPTION: with an argument and -V after it, it either
# prints its version or fails on the argument, not on the option.
rejects() {
	"$TOP/$1" "$2" x -V </dev/null 2>&1 |
		grep -qiE 'unknown option|unrecognized option|invalid option'
}
shorts_accepted() {
	for l in a b c d e f g h i j k l m n o p q r s t u v w x y z \
		A B C D E F G H I J K L M N O P Q R S T U V W X Y Z; do
		rejects "$1" "-$l" || printf '%s\n' "-$l"
	done
}
src_longs() {
	sed -nE 's/.*\{"([a-z][a-z0-9-]*)", *(no|required|optional)_argument.*/--\1/p' $(sources "$1") |
		sort -u
}
# Lines only in the first list (<) or only in the second (>), or nothing.
differ() { diff "$1" "$2" | grep '^[<>]' | tr '\n' ' '; }

# ---- the programs --------------------------------------------------------------
for pm in $PROGRAMS; do
	prog=${pm%%:*}
	page=${pm#*:}
	name=$(basename "$prog")
	if [ ! -x "$prog" ]; then
		echo "Bail out! $prog is not built (make first)"
		exit 1
	fi
	help_defs "$prog" >"$T/help"
	man_defs "$page" >"$T/man"
	ok "[ $(wc -l <"$T/help") -ge 5 ] && [ $(wc -l <"$T/man") -ge 5 ]" \
		"$name: options found in --help ($(wc -l <"$T/help")) and in $page ($(wc -l <"$T/man"))"
	is "$(differ "$T/help" "$T/man")" "" "$name: --help (<) and $page (>) list the same options"

	{
		man_mentions "$page" "$prog"
		"$prog" --help 2>&1 | words
	} | sort -u >"$T/named"
	bad=
	for o in $(cat "$T/named"); do
		rejects "$prog" "$o" && bad="$bad $o"
	done
	is "${bad:-none}" none "$name: every option --help or $page names is accepted"

	shorts_accepted "$prog" | sort -u >"$T/shorts"
	grep -v -- '^--' "$T/help" >"$T/help-shorts"
	is "$(differ "$T/shorts" "$T/help-shorts")" "" \
		"$name: the short options it accepts (<) are those --help lists (>)"
	src_longs "$prog" >"$T/src"
	ok "[ -s '$T/src' ]" "$name: long options found in $(sources "$prog")"
	is "$(grep -- '^--' "$T/help" | differ "$T/src" -)" "" \
		"$name: the long options of its getopt tables (<) are those --help lists (>)"
done

# ---- trendtrapd.conf(5) and trapd/config.c's schema -------------------------------
# "TABLE NAME" for each OPT("NAME") / LIST("NAME") of the cfg_opt_t TABLE_opts[]
# tables (POLICY_OPTS expanded), "TABLE section:NAME" for each CFG_SEC("NAME").
schema() {
	awk '
	function names(text, table,    m) {
		while (match(text, /(OPT|LIST)\("[a-z_]+"\)/)) {
			m = substr(text, RSTART, RLENGTH)
			sub(/^(OPT|LIST)\("/, "", m)
			sub(/"\)$/, "", m)
			print table, m
			text = substr(text, RSTART + RLENGTH)
		}
		while (match(text, /CFG_SEC\("[a-z_]+"/)) {
			print table, "section:" substr(text, RSTART + 9, RLENGTH - 10)
			text = substr(text, RSTART + RLENGTH)
		}
	}
	/^#define POLICY_OPTS/ { inpolicy = 1 }
	inpolicy { policy = policy $0; if ($0 !~ /\\$/) inpolicy = 0; next }
	/cfg_opt_t [a-z_]+_opts\[\] *= *\{/ {
		match($0, /[a-z_]+_opts\[/)
		table = substr($0, RSTART, RLENGTH - 6)
		body = ""
	}
	table != "" {
		body = body $0
		if ($0 ~ /\};/) {
			if (body ~ /POLICY_OPTS/)
				body = body policy
			names(body, table)
			table = ""
		}
	}' trapd/config.c | sort -u
}
# "SECTION NAME" for each option tag of the page ("name = value", or a list
# "name, name, ..."): SECTION is root under GLOBAL OPTIONS, else the word
# after ".SH SECTION"; "root section:NAME" for each such section.
conf_tags() {
	plain man/trendtrapd.conf.5 | awk '
	/^\.SH/ {
		sect = ""
		if ($0 ~ /GLOBAL OPTIONS/)
			sect = "root"
		else if ($2 == "SECTION") {
			sect = $3
			print "root", "section:" sect
		}
		next
	}
	tag && sect != "" {
		line = $0
		sub(/^\.[A-Z]+ */, "", line)
		gsub(/"/, "", line)
		if (match(line, /^[a-z_]+ *=/)) {
			split(line, w, / *=/)
			print sect, w[1]
		} else {
			gsub(/ *, */, ",", line)
			sub(/ *$/, "", line)
			if (line ~ /^[a-z_]+(,[a-z_]+)+$/) {
				n = split(line, w, /,/)
				for (i = 1; i <= n; i++)
					print sect, w[i]
			}
		}
	}
	{ tag = /^\.(TP|TQ)/ }' | sort -u
}
schema >"$T/schema"
conf_tags >"$T/conftags"
ok "[ $(wc -l <"$T/schema") -ge 60 ]" "options found in trapd/config.c's schema ($(wc -l <"$T/schema"))"
# Options refused as secrets written inline: {"community", "community_file"}, ...
grep -oE '\{"[a-z_]+", "[a-z_]+_file"\}' trapd/config.c | sed -E 's/^\{"([a-z_]+)".*/\1/' |
	sort -u >"$T/secrets"
ok "[ $(wc -l <"$T/secrets") -ge 5 ]" "options refused as inline secrets found ($(wc -l <"$T/secrets"))"
for table in root socket defaults check channel route; do
	grep "^$table " "$T/schema" | grep -vwFf "$T/secrets" >"$T/s"
	grep "^$table " "$T/conftags" >"$T/m"
	case $table in
	root) where="GLOBAL OPTIONS and its SECTIONs" ;;
	*) where="SECTION $table" ;;
	esac
	is "$(differ "$T/s" "$T/m")" "" \
		"trendtrapd.conf(5) $where: the options of ${table}_opts (<) and of the page (>)"
done
plain man/trendtrapd.conf.5 | awk '/^\.SH/ { s = /SECRETS/ } s && /^\.BR? /' |
	sed -E 's/^\.BR? //; s/ .*//' | sort -u >"$T/named-secrets"
is "$(comm -23 "$T/secrets" "$T/named-secrets" | tr '\n' ' ')" "" \
	"trendtrapd.conf(5) SECRETS names every option refused as an inline secret"

# ---- rendering -----------------------------------------------------------------
if command -v man >/dev/null; then
	for page in man/*.[0-9]; do
		is "$(man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)" "" \
			"$page renders without warnings"
	done
else
	tap_result 0 "# SKIP man is not installed"
fi

done_testing
