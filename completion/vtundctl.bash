# bash completion for vtundctl(8) and vtundfix(8)

_vtundfix_taps() {
	local conf=${1:-/etc/vtundfix.conf}
	[ -r "$conf" ] && awk '$1 ~ /^[^#<A-Z]/ && NF == 5 { print $1 }' "$conf"
}

_vtundfix_switch_words() {
	local conf=$1
	echo "$(_vtundfix_taps "$conf") local remote both service tap vlan bridge br listener all"
}

_vtundctl() {
	local cur prev words cword conf=/etc/vtundfix.conf i cmd=""
	_init_completion || return
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-f) conf=${words[i + 1]}; ((i++)) ;;
		-y) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done
	if [ "$prev" = -f ]; then
		_filedir
		return
	fi
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "-y -f start stop restart status vtund fix vtundfix" -- "$cur"))
		return
	fi
	case $cmd in
	vtund)
		[ $((cword - i)) -eq 1 ] &&
		    COMPREPLY=($(compgen -W "start stop restart status reload" -- "$cur"))
		;;
	fix|vtundfix)
		if [ $((cword - i)) -eq 1 ]; then
			COMPREPLY=($(compgen -W "start stop restart status on off" -- "$cur"))
		elif [ "${words[i + 1]}" = on ] || [ "${words[i + 1]}" = off ]; then
			COMPREPLY=($(compgen -W "$(_vtundfix_switch_words "$conf")" -- "$cur"))
		fi
		;;
	esac
}

_vtundfix() {
	local cur prev words cword conf=/etc/vtundfix.conf i
	_init_completion || return
	for ((i = 1; i < cword; i++)); do
		[ "${words[i]}" = -f ] && conf=${words[i + 1]}
	done
	case $prev in
	-f|--config) _filedir; return ;;
	on|off) COMPREPLY=($(compgen -W "$(_vtundfix_switch_words "$conf")" -- "$cur")); return ;;
	status) COMPREPLY=($(compgen -W "--json --local" -- "$cur")); return ;;
	esac
	COMPREPLY=($(compgen -W "-f -n -t -v -h -V on off status peer" -- "$cur"))
}

complete -F _vtundctl vtundctl
complete -F _vtundfix vtundfix
