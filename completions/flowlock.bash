# flowlock(1) completion                                   -*- shell-script -*-
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2207,SC2086 # word lists are split on purpose, as bash-completion does
# For the bash-completion package: installed as share/bash-completion/completions/flowlock,
# loaded on the first 'flowlock <TAB>'.
#
# Everything below mirrors the program: the commands are cli/main.c's commands[], each
# command's options and choices are what 'flowlock COMMAND --help' lists (the option tables
# in cli/cli-*.c). tests/completion.sh parses every --help and fails when an option is
# missing here, so a new option needs a line below.

# The options of COMMAND (long and short forms); $2 = arg: only those that take an argument.
# learn and check share cli/cli-learn.c; check takes -b -f and not -s --node --checkpoint.
_flowlock_options()
{
    local capture_arg='-r --read -i --interface -I --inventory --duration --user
        --pod-cidr --service-cidr --external-prefix --external-prefix6 --max-flows
        --tunnel-port'
    local capture_flag='--conntrack --docker --one-way --no-tunnels -q --quiet -h --help'
    local with_arg='' without_arg=''
    case $1 in
        learn)
            with_arg="$capture_arg -s --state --node --checkpoint"
            without_arg=$capture_flag
            ;;
        check)
            with_arg="$capture_arg -b --baseline -f --format"
            without_arg=$capture_flag
            ;;
        emit)
            with_arg='-f --format --namespace --exclude-namespace --mode -I --inventory
                -o --output'
            without_arg='--allow-dns --docker -q --quiet -h --help'
            ;;
        show)
            # show --help lists only these three; -f and -h/--help are accepted too
            # (cli/cli-show.c)
            with_arg='--stale -f --format'
            without_arg='--coverage -h --help'
            ;;
        apply)
            without_arg='-n --dry-run -h --help'
            ;;
        diff)
            with_arg='-f --format'
            without_arg='-h --help'
            ;;
        verify)
            with_arg='-I --inventory --namespace --exclude-namespace'
            without_arg='-q --quiet -h --help'
            ;;
        merge)
            with_arg='-o --output'
            without_arg='-q --quiet -h --help'
            ;;
    esac
    # printf, not echo: echo would take apply's -n for its own
    if [[ ${2-} == arg ]]; then
        printf '%s ' $with_arg
    else
        printf '%s ' $with_arg $without_arg
    fi
}

_flowlock()
{
    local cur prev words cword split
    # -n : keeps KIND:PORT (--tunnel-port) one word; -s splits --opt=value
    _init_completion -s -n : || return

    # the commands: cli/main.c commands[]
    local commands='learn emit show apply diff check verify merge'

    if ((cword == 1)); then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '--help --version' -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi
    local cmd=${words[1]}
    [[ " $commands " == *" $cmd "* ]] || return

    # The value of the option before (or before the '=').
    case $prev in
        -r | --read)
            _filedir 'pcap|pcapng|cap'
            return
            ;;
        -i | --interface)
            # a name or a pattern (br-*, veth*): offer the names there are now
            COMPREPLY=($(compgen -W "$(command ls /sys/class/net 2>/dev/null)" -- "$cur"))
            return
            ;;
        -I | --inventory)
            # kubectl ... -o yaml|json, or docker inspect JSON
            _filedir 'yaml|yml|json'
            return
            ;;
        -s | --state | -b | --baseline)
            _filedir 'yaml|yml'
            return
            ;;
        -o | --output)
            if [[ $cmd == merge ]]; then
                _filedir 'yaml|yml'
            else
                _filedir
            fi
            return
            ;;
        --docker)
            # an optional argument: only --docker=SOCKET, never the next word
            if [[ $split == true ]]; then
                _filedir
                return
            fi
            ;;
        --user)
            COMPREPLY=($(compgen -u -- "$cur"))
            return
            ;;
        --tunnel-port)
            # KIND:PORT; the kinds and the default ports are learn --help's
            if [[ $cur == *:* ]]; then
                COMPREPLY=($(compgen -W 'vxlan:4789 vxlan:8472 geneve:6081' -- "$cur"))
                __ltrim_colon_completions "$cur"
            else
                COMPREPLY=($(compgen -W 'vxlan: geneve:' -- "$cur"))
                [[ ${COMPREPLY-} == *: ]] && compopt -o nospace 2>/dev/null
            fi
            return
            ;;
        -f | --format)
            # the choices each command's --help lists
            local formats
            case $cmd in
                emit) formats='k8s dot json nftables' ;;
                diff) formats='text markdown json' ;;
                show | check) formats='text json' ;;
            esac
            COMPREPLY=($(compgen -W "$formats" -- "$cur"))
            return
            ;;
        --mode)
            [[ $cmd == emit ]] && COMPREPLY=($(compgen -W 'enforce audit' -- "$cur"))
            return
            ;;
        --namespace | --exclude-namespace | --node | --duration | --checkpoint | \
            --pod-cidr | --service-cidr | --external-prefix | --external-prefix6 | \
            --max-flows | --stale)
            # a glob, a name, a range or a number: nothing to offer
            return
            ;;
    esac
    [[ $split == true ]] && return

    # Options, unless after '--'; count the arguments that are no option's values.
    local i positional=0 dashdash=false
    local arg_opts
    arg_opts=" $(_flowlock_options "$cmd" arg) "
    for ((i = 2; i < cword; i++)); do
        if [[ $dashdash == false && ${words[i]} == -- ]]; then
            dashdash=true
        elif [[ $dashdash == false && ${words[i]} == -?* ]]; then
            [[ $arg_opts == *" ${words[i]} "* ]] && ((i++))
        else
            ((positional++))
        fi
    done
    if [[ $dashdash == false && $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_flowlock_options "$cmd")" -- "$cur"))
        return
    fi

    # The arguments: state files but for apply's ruleset and verify's POLICY.
    case $cmd in
        learn | check)
            # no arguments (captures are given with -r): the options
            COMPREPLY=($(compgen -W "$(_flowlock_options "$cmd")" -- "$cur"))
            ;;
        apply)
            ((positional == 0)) && _filedir nft
            ;;
        verify)
            if ((positional == 0)); then
                _filedir 'yaml|yml|json'
            elif ((positional == 1)); then
                _filedir 'yaml|yml'
            fi
            ;;
        emit | show)
            ((positional == 0)) && _filedir 'yaml|yml'
            ;;
        diff)
            ((positional < 2)) && _filedir 'yaml|yml'
            ;;
        merge)
            _filedir 'yaml|yml'
            ;;
    esac
} &&
    complete -F _flowlock flowlock

# ex: filetype=sh
