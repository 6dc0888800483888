# SPDX-License-Identifier: MIT
# bash completion for lamina(1): commands, domain and network names from `lamina list` and `net-list`, files for FILE arguments.
_lamina_domains()
{
	lamina list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_lamina_networks()
{
	lamina net-list 2>/dev/null | awk 'NR > 1 && !/^ / { print $1 }'
}

_lamina()
{
	local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]}
	local cmds="create validate define start undefine autostart list info console shutdown
		reboot destroy pause unpause mem-set vcpu-set vcpu-pin block-attach block-detach
		network-attach network-detach snapshot-create snapshot-list snapshot-revert
		snapshot-delete top trace dumpxml version bench net-define net-undefine net-start
		net-destroy net-list net-dumpxml net-autostart help"

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
		return
	fi
	case $cur in
	-*)
		COMPREPLY=($(compgen -W "$(lamina "$cmd" --help 2>/dev/null |
			grep -o -- '--[a-z-]*' | sort -u)" -- "$cur"))
		return ;;
	esac
	case $cmd in
	create | validate | define | net-define)
		COMPREPLY=($(compgen -f -X '!*.xml' -- "$cur") $(compgen -d -- "$cur")) ;;
	help)
		COMPREPLY=($(compgen -W "$cmds" -- "$cur")) ;;
	list | top | version | net-list) ;;
	net-*)
		COMPREPLY=($(compgen -W "$(_lamina_networks)" -- "$cur")) ;;
	bench) COMPREPLY=($(compgen -W "--size= --rounds= --scale= --configs= --out= --at-once suite micro store" -- "$cur")) ;;
	block-attach)
		[ "$COMP_CWORD" -eq 3 ] && COMPREPLY=($(compgen -f -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_lamina_domains)" -- "$cur")) ;;
	*)
		COMPREPLY=($(compgen -W "$(_lamina_domains)" -- "$cur")) ;;
	esac
}
complete -F _lamina lamina
