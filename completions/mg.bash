# mg completion for bash: generated from the app by `python -m mg.cli.completion`; do not edit.
# Install: mg completion install --shell bash   (or: source <(mg completion show --shell bash))

_mg_subcommands() {
    case "$1" in
        '') echo 'chat threads npc models login logout whoami keys tokens credits usage logs billing tiers pricing cost profiles symbols crashes debug webhooks gateway tui completion help' ;;
        'threads') echo 'list create group show messages rm export batch state actions' ;;
        'threads state') echo 'get set' ;;
        'threads actions') echo 'get set' ;;
        'npc') echo 'templates template' ;;
        'npc template') echo 'show init create update rm diff' ;;
        'models') echo 'list catalog' ;;
        'keys') echo 'list create rotate revoke health' ;;
        'tokens') echo 'list create revoke' ;;
        'billing') echo 'spend-limit manage' ;;
        'profiles') echo 'list use add remove' ;;
        'symbols') echo 'upload check list lookup rm' ;;
        'crashes') echo 'list show trends stats status analyze submit' ;;
        'debug') echo 'sessions' ;;
        'debug sessions') echo 'list create show archive' ;;
        'webhooks') echo 'list add show rm ping rotate deliveries redeliver listen' ;;
        'gateway') echo 'serve status env stop logs migrate outbox admin' ;;
        'completion') echo 'show install' ;;
    esac
}

_mg_options() {
    case "$1" in
        '') echo '--profile -p --api-key --base-url --no-retry --version -V --help -h' ;;
        'chat') echo '--model -m --system -s --temperature -t --max-tokens --npc --template --player --thread --group --as --local --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads') echo '--help -h' ;;
        'threads list') echo '--npc --player --limit -n --before --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads create') echo '--npc --template --player --system -s --style --metadata -m --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads group') echo '--player --system -s --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads show') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads messages') echo '--limit -n --order --after --before --all --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads rm') echo '--yes -y --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads export') echo '--format -f --npc --player --thread -t --since --until --no-system --max-messages --output -o --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads batch') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads state') echo '--help -h' ;;
        'threads state get') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads state set') echo '--file -f --replace --scope --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads actions') echo '--help -h' ;;
        'threads actions get') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'threads actions set') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'npc') echo '--help -h' ;;
        'npc templates') echo '--tags --mine --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'npc template') echo '--help -h' ;;
        'npc template show') echo '--toml --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'npc template init') echo '--from --output -o --force --profile -p --api-key --base-url --no-retry --help -h' ;;
        'npc template create') echo '--dry-run --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'npc template update') echo '--id --dry-run --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'npc template rm') echo '--yes -y --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'npc template diff') echo '--profile -p --api-key --base-url --no-retry --help -h' ;;
        'models') echo '--help -h' ;;
        'models list') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'models catalog') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'login') echo '--with-token --email --accept-tos --default --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'logout') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'whoami') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'keys') echo '--help -h' ;;
        'keys list') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'keys create') echo '--live --name -n --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'keys rotate') echo '--grace-hours --save --no-save --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'keys revoke') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'keys health') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'tokens') echo '--help -h' ;;
        'tokens list') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'tokens create') echo '--name -n --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'tokens revoke') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'credits') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'usage') echo '--days -d --csv --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'logs') echo '--limit -n --model --status --before --follow -f --interval --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'billing') echo '--help -h' ;;
        'billing spend-limit') echo '--daily --monthly --clear --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'billing manage') echo '--tier --credits --open --no-open --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'tiers') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'pricing') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'cost') echo '--in --out --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'profiles') echo '--help -h' ;;
        'profiles list') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'profiles use') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'profiles add') echo '--model -m --default --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'profiles remove') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'symbols') echo '--help -h' ;;
        'symbols upload') echo '--type -t --id --require-all --platform --overwrite --dry-run --allow-failure --jobs -j --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'symbols check') echo '--json --help -h' ;;
        'symbols list') echo '--module --debug-id --type --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'symbols lookup') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'symbols rm') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'crashes') echo '--help -h' ;;
        'crashes list') echo '--game --status --platform --version --fingerprint --limit -n --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'crashes show') echo '--all-threads --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'crashes trends') echo '--game --since --until --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'crashes stats') echo '--game --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'crashes status') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'crashes analyze') echo '--question -q --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'crashes submit') echo '--game --version --platform --wait --no-wait --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'debug') echo '--help -h' ;;
        'debug sessions') echo '--help -h' ;;
        'debug sessions list') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'debug sessions create') echo '--platform --engine --metadata --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'debug sessions show') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'debug sessions archive') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'webhooks') echo '--help -h' ;;
        'webhooks list') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'webhooks add') echo '--events -e --description -d --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'webhooks show') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'webhooks rm') echo '--profile -p --api-key --base-url --no-retry --help -h' ;;
        'webhooks ping') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'webhooks rotate') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'webhooks deliveries') echo '--webhook --failed --limit -n --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'webhooks redeliver') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'webhooks listen') echo '--events -e --forward-to -f --port --profile -p --api-key --base-url --no-retry --help -h' ;;
        'gateway') echo '--help -h' ;;
        'gateway serve') echo '--host --port --data-dir --detach -d --workers --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'gateway status') echo '--data-dir --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'gateway env') echo '--data-dir --shell --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'gateway stop') echo '--data-dir --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'gateway logs') echo '--data-dir --lines -n --follow -f --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'gateway migrate') echo '--data-dir --check --profile -p --api-key --base-url --no-retry --help -h' ;;
        'gateway outbox') echo '--data-dir --to --last -n --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'gateway admin') echo '--help -h' ;;
        'tui') echo '--screen --thread --model -m --local --profile -p --api-key --base-url --no-retry --help -h' ;;
        'completion') echo '--help -h' ;;
        'completion show') echo '--shell --profile -p --api-key --base-url --no-retry --help -h' ;;
        'completion install') echo '--shell --json --profile -p --api-key --base-url --no-retry --help -h' ;;
        'help') echo '--json --profile -p --api-key --base-url --no-retry --help -h' ;;
    esac
}

_mg_takes_value() {
    case "$1|$2" in
        '|--profile'|'|-p'|'|--api-key'|'|--base-url') return 0 ;;
        'chat|--model'|'chat|-m'|'chat|--system'|'chat|-s'|'chat|--temperature'|'chat|-t'|'chat|--max-tokens'|'chat|--npc'|'chat|--template'|'chat|--player'|'chat|--thread'|'chat|--group'|'chat|--as'|'chat|--profile'|'chat|-p'|'chat|--api-key'|'chat|--base-url') return 0 ;;
        'threads list|--npc'|'threads list|--player'|'threads list|--limit'|'threads list|-n'|'threads list|--before'|'threads list|--profile'|'threads list|-p'|'threads list|--api-key'|'threads list|--base-url') return 0 ;;
        'threads create|--npc'|'threads create|--template'|'threads create|--player'|'threads create|--system'|'threads create|-s'|'threads create|--style'|'threads create|--metadata'|'threads create|-m'|'threads create|--profile'|'threads create|-p'|'threads create|--api-key'|'threads create|--base-url') return 0 ;;
        'threads group|--player'|'threads group|--system'|'threads group|-s'|'threads group|--profile'|'threads group|-p'|'threads group|--api-key'|'threads group|--base-url') return 0 ;;
        'threads show|--profile'|'threads show|-p'|'threads show|--api-key'|'threads show|--base-url') return 0 ;;
        'threads messages|--limit'|'threads messages|-n'|'threads messages|--order'|'threads messages|--after'|'threads messages|--before'|'threads messages|--profile'|'threads messages|-p'|'threads messages|--api-key'|'threads messages|--base-url') return 0 ;;
        'threads rm|--profile'|'threads rm|-p'|'threads rm|--api-key'|'threads rm|--base-url') return 0 ;;
        'threads export|--format'|'threads export|-f'|'threads export|--npc'|'threads export|--player'|'threads export|--thread'|'threads export|-t'|'threads export|--since'|'threads export|--until'|'threads export|--max-messages'|'threads export|--output'|'threads export|-o'|'threads export|--profile'|'threads export|-p'|'threads export|--api-key'|'threads export|--base-url') return 0 ;;
        'threads batch|--profile'|'threads batch|-p'|'threads batch|--api-key'|'threads batch|--base-url') return 0 ;;
        'threads state get|--profile'|'threads state get|-p'|'threads state get|--api-key'|'threads state get|--base-url') return 0 ;;
        'threads state set|--file'|'threads state set|-f'|'threads state set|--scope'|'threads state set|--profile'|'threads state set|-p'|'threads state set|--api-key'|'threads state set|--base-url') return 0 ;;
        'threads actions get|--profile'|'threads actions get|-p'|'threads actions get|--api-key'|'threads actions get|--base-url') return 0 ;;
        'threads actions set|--profile'|'threads actions set|-p'|'threads actions set|--api-key'|'threads actions set|--base-url') return 0 ;;
        'npc templates|--tags'|'npc templates|--profile'|'npc templates|-p'|'npc templates|--api-key'|'npc templates|--base-url') return 0 ;;
        'npc template show|--profile'|'npc template show|-p'|'npc template show|--api-key'|'npc template show|--base-url') return 0 ;;
        'npc template init|--from'|'npc template init|--output'|'npc template init|-o'|'npc template init|--profile'|'npc template init|-p'|'npc template init|--api-key'|'npc template init|--base-url') return 0 ;;
        'npc template create|--profile'|'npc template create|-p'|'npc template create|--api-key'|'npc template create|--base-url') return 0 ;;
        'npc template update|--id'|'npc template update|--profile'|'npc template update|-p'|'npc template update|--api-key'|'npc template update|--base-url') return 0 ;;
        'npc template rm|--profile'|'npc template rm|-p'|'npc template rm|--api-key'|'npc template rm|--base-url') return 0 ;;
        'npc template diff|--profile'|'npc template diff|-p'|'npc template diff|--api-key'|'npc template diff|--base-url') return 0 ;;
        'models list|--profile'|'models list|-p'|'models list|--api-key'|'models list|--base-url') return 0 ;;
        'models catalog|--profile'|'models catalog|-p'|'models catalog|--api-key'|'models catalog|--base-url') return 0 ;;
        'login|--email'|'login|--profile'|'login|-p'|'login|--api-key'|'login|--base-url') return 0 ;;
        'logout|--profile'|'logout|-p'|'logout|--api-key'|'logout|--base-url') return 0 ;;
        'whoami|--profile'|'whoami|-p'|'whoami|--api-key'|'whoami|--base-url') return 0 ;;
        'keys list|--profile'|'keys list|-p'|'keys list|--api-key'|'keys list|--base-url') return 0 ;;
        'keys create|--name'|'keys create|-n'|'keys create|--profile'|'keys create|-p'|'keys create|--api-key'|'keys create|--base-url') return 0 ;;
        'keys rotate|--grace-hours'|'keys rotate|--profile'|'keys rotate|-p'|'keys rotate|--api-key'|'keys rotate|--base-url') return 0 ;;
        'keys revoke|--profile'|'keys revoke|-p'|'keys revoke|--api-key'|'keys revoke|--base-url') return 0 ;;
        'keys health|--profile'|'keys health|-p'|'keys health|--api-key'|'keys health|--base-url') return 0 ;;
        'tokens list|--profile'|'tokens list|-p'|'tokens list|--api-key'|'tokens list|--base-url') return 0 ;;
        'tokens create|--name'|'tokens create|-n'|'tokens create|--profile'|'tokens create|-p'|'tokens create|--api-key'|'tokens create|--base-url') return 0 ;;
        'tokens revoke|--profile'|'tokens revoke|-p'|'tokens revoke|--api-key'|'tokens revoke|--base-url') return 0 ;;
        'credits|--profile'|'credits|-p'|'credits|--api-key'|'credits|--base-url') return 0 ;;
        'usage|--days'|'usage|-d'|'usage|--profile'|'usage|-p'|'usage|--api-key'|'usage|--base-url') return 0 ;;
        'logs|--limit'|'logs|-n'|'logs|--model'|'logs|--status'|'logs|--before'|'logs|--interval'|'logs|--profile'|'logs|-p'|'logs|--api-key'|'logs|--base-url') return 0 ;;
        'billing spend-limit|--daily'|'billing spend-limit|--monthly'|'billing spend-limit|--profile'|'billing spend-limit|-p'|'billing spend-limit|--api-key'|'billing spend-limit|--base-url') return 0 ;;
        'billing manage|--tier'|'billing manage|--credits'|'billing manage|--profile'|'billing manage|-p'|'billing manage|--api-key'|'billing manage|--base-url') return 0 ;;
        'tiers|--profile'|'tiers|-p'|'tiers|--api-key'|'tiers|--base-url') return 0 ;;
        'pricing|--profile'|'pricing|-p'|'pricing|--api-key'|'pricing|--base-url') return 0 ;;
        'cost|--in'|'cost|--out'|'cost|--profile'|'cost|-p'|'cost|--api-key'|'cost|--base-url') return 0 ;;
        'profiles list|--profile'|'profiles list|-p'|'profiles list|--api-key'|'profiles list|--base-url') return 0 ;;
        'profiles use|--profile'|'profiles use|-p'|'profiles use|--api-key'|'profiles use|--base-url') return 0 ;;
        'profiles add|--model'|'profiles add|-m'|'profiles add|--profile'|'profiles add|-p'|'profiles add|--api-key'|'profiles add|--base-url') return 0 ;;
        'profiles remove|--profile'|'profiles remove|-p'|'profiles remove|--api-key'|'profiles remove|--base-url') return 0 ;;
        'symbols upload|--type'|'symbols upload|-t'|'symbols upload|--id'|'symbols upload|--platform'|'symbols upload|--jobs'|'symbols upload|-j'|'symbols upload|--profile'|'symbols upload|-p'|'symbols upload|--api-key'|'symbols upload|--base-url') return 0 ;;
        'symbols list|--module'|'symbols list|--debug-id'|'symbols list|--type'|'symbols list|--profile'|'symbols list|-p'|'symbols list|--api-key'|'symbols list|--base-url') return 0 ;;
        'symbols lookup|--profile'|'symbols lookup|-p'|'symbols lookup|--api-key'|'symbols lookup|--base-url') return 0 ;;
        'symbols rm|--profile'|'symbols rm|-p'|'symbols rm|--api-key'|'symbols rm|--base-url') return 0 ;;
        'crashes list|--game'|'crashes list|--status'|'crashes list|--platform'|'crashes list|--version'|'crashes list|--fingerprint'|'crashes list|--limit'|'crashes list|-n'|'crashes list|--profile'|'crashes list|-p'|'crashes list|--api-key'|'crashes list|--base-url') return 0 ;;
        'crashes show|--profile'|'crashes show|-p'|'crashes show|--api-key'|'crashes show|--base-url') return 0 ;;
        'crashes trends|--game'|'crashes trends|--since'|'crashes trends|--until'|'crashes trends|--profile'|'crashes trends|-p'|'crashes trends|--api-key'|'crashes trends|--base-url') return 0 ;;
        'crashes stats|--game'|'crashes stats|--profile'|'crashes stats|-p'|'crashes stats|--api-key'|'crashes stats|--base-url') return 0 ;;
        'crashes status|--profile'|'crashes status|-p'|'crashes status|--api-key'|'crashes status|--base-url') return 0 ;;
        'crashes analyze|--question'|'crashes analyze|-q'|'crashes analyze|--profile'|'crashes analyze|-p'|'crashes analyze|--api-key'|'crashes analyze|--base-url') return 0 ;;
        'crashes submit|--game'|'crashes submit|--version'|'crashes submit|--platform'|'crashes submit|--profile'|'crashes submit|-p'|'crashes submit|--api-key'|'crashes submit|--base-url') return 0 ;;
        'debug sessions list|--profile'|'debug sessions list|-p'|'debug sessions list|--api-key'|'debug sessions list|--base-url') return 0 ;;
        'debug sessions create|--platform'|'debug sessions create|--engine'|'debug sessions create|--metadata'|'debug sessions create|--profile'|'debug sessions create|-p'|'debug sessions create|--api-key'|'debug sessions create|--base-url') return 0 ;;
        'debug sessions show|--profile'|'debug sessions show|-p'|'debug sessions show|--api-key'|'debug sessions show|--base-url') return 0 ;;
        'debug sessions archive|--profile'|'debug sessions archive|-p'|'debug sessions archive|--api-key'|'debug sessions archive|--base-url') return 0 ;;
        'webhooks list|--profile'|'webhooks list|-p'|'webhooks list|--api-key'|'webhooks list|--base-url') return 0 ;;
        'webhooks add|--events'|'webhooks add|-e'|'webhooks add|--description'|'webhooks add|-d'|'webhooks add|--profile'|'webhooks add|-p'|'webhooks add|--api-key'|'webhooks add|--base-url') return 0 ;;
        'webhooks show|--profile'|'webhooks show|-p'|'webhooks show|--api-key'|'webhooks show|--base-url') return 0 ;;
        'webhooks rm|--profile'|'webhooks rm|-p'|'webhooks rm|--api-key'|'webhooks rm|--base-url') return 0 ;;
        'webhooks ping|--profile'|'webhooks ping|-p'|'webhooks ping|--api-key'|'webhooks ping|--base-url') return 0 ;;
        'webhooks rotate|--profile'|'webhooks rotate|-p'|'webhooks rotate|--api-key'|'webhooks rotate|--base-url') return 0 ;;
        'webhooks deliveries|--webhook'|'webhooks deliveries|--limit'|'webhooks deliveries|-n'|'webhooks deliveries|--profile'|'webhooks deliveries|-p'|'webhooks deliveries|--api-key'|'webhooks deliveries|--base-url') return 0 ;;
        'webhooks redeliver|--profile'|'webhooks redeliver|-p'|'webhooks redeliver|--api-key'|'webhooks redeliver|--base-url') return 0 ;;
        'webhooks listen|--events'|'webhooks listen|-e'|'webhooks listen|--forward-to'|'webhooks listen|-f'|'webhooks listen|--port'|'webhooks listen|--profile'|'webhooks listen|-p'|'webhooks listen|--api-key'|'webhooks listen|--base-url') return 0 ;;
        'gateway serve|--host'|'gateway serve|--port'|'gateway serve|--data-dir'|'gateway serve|--workers'|'gateway serve|--profile'|'gateway serve|-p'|'gateway serve|--api-key'|'gateway serve|--base-url') return 0 ;;
        'gateway status|--data-dir'|'gateway status|--profile'|'gateway status|-p'|'gateway status|--api-key'|'gateway status|--base-url') return 0 ;;
        'gateway env|--data-dir'|'gateway env|--shell'|'gateway env|--profile'|'gateway env|-p'|'gateway env|--api-key'|'gateway env|--base-url') return 0 ;;
        'gateway stop|--data-dir'|'gateway stop|--profile'|'gateway stop|-p'|'gateway stop|--api-key'|'gateway stop|--base-url') return 0 ;;
        'gateway logs|--data-dir'|'gateway logs|--lines'|'gateway logs|-n'|'gateway logs|--profile'|'gateway logs|-p'|'gateway logs|--api-key'|'gateway logs|--base-url') return 0 ;;
        'gateway migrate|--data-dir'|'gateway migrate|--profile'|'gateway migrate|-p'|'gateway migrate|--api-key'|'gateway migrate|--base-url') return 0 ;;
        'gateway outbox|--data-dir'|'gateway outbox|--to'|'gateway outbox|--last'|'gateway outbox|-n'|'gateway outbox|--profile'|'gateway outbox|-p'|'gateway outbox|--api-key'|'gateway outbox|--base-url') return 0 ;;
        'tui|--screen'|'tui|--thread'|'tui|--model'|'tui|-m'|'tui|--profile'|'tui|-p'|'tui|--api-key'|'tui|--base-url') return 0 ;;
        'completion show|--shell'|'completion show|--profile'|'completion show|-p'|'completion show|--api-key'|'completion show|--base-url') return 0 ;;
        'completion install|--shell'|'completion install|--profile'|'completion install|-p'|'completion install|--api-key'|'completion install|--base-url') return 0 ;;
        'help|--profile'|'help|-p'|'help|--api-key'|'help|--base-url') return 0 ;;
    esac
    return 1
}

_mg_value() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    case "$1" in
        profiles) COMPREPLY=($(compgen -W "$(command mg profiles list 2>/dev/null | cut -f1)" -- "$cur")) ;;
        dirs) COMPREPLY=($(compgen -d -- "$cur")) ;;
        files) COMPREPLY=($(compgen -f -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "$2" -- "$cur")) ;;
    esac
}

_mg_option_values() {
    case "$1|$2" in
        '|--profile') _mg_value profiles '' ;;
        '|-p') _mg_value profiles '' ;;
        'chat|--profile') _mg_value profiles '' ;;
        'chat|-p') _mg_value profiles '' ;;
        'threads list|--profile') _mg_value profiles '' ;;
        'threads list|-p') _mg_value profiles '' ;;
        'threads create|--style') _mg_value words 'terse normal verbose dramatic' ;;
        'threads create|--profile') _mg_value profiles '' ;;
        'threads create|-p') _mg_value profiles '' ;;
        'threads group|--profile') _mg_value profiles '' ;;
        'threads group|-p') _mg_value profiles '' ;;
        'threads show|--profile') _mg_value profiles '' ;;
        'threads show|-p') _mg_value profiles '' ;;
        'threads messages|--order') _mg_value words 'asc desc' ;;
        'threads messages|--profile') _mg_value profiles '' ;;
        'threads messages|-p') _mg_value profiles '' ;;
        'threads rm|--profile') _mg_value profiles '' ;;
        'threads rm|-p') _mg_value profiles '' ;;
        'threads export|--format') _mg_value words 'jsonl json' ;;
        'threads export|-f') _mg_value words 'jsonl json' ;;
        'threads export|--output') _mg_value files '' ;;
        'threads export|-o') _mg_value files '' ;;
        'threads export|--profile') _mg_value profiles '' ;;
        'threads export|-p') _mg_value profiles '' ;;
        'threads batch|--profile') _mg_value profiles '' ;;
        'threads batch|-p') _mg_value profiles '' ;;
        'threads state get|--profile') _mg_value profiles '' ;;
        'threads state get|-p') _mg_value profiles '' ;;
        'threads state set|--file') _mg_value files '' ;;
        'threads state set|-f') _mg_value files '' ;;
        'threads state set|--scope') _mg_value words 'world player' ;;
        'threads state set|--profile') _mg_value profiles '' ;;
        'threads state set|-p') _mg_value profiles '' ;;
        'threads actions get|--profile') _mg_value profiles '' ;;
        'threads actions get|-p') _mg_value profiles '' ;;
        'threads actions set|--profile') _mg_value profiles '' ;;
        'threads actions set|-p') _mg_value profiles '' ;;
        'npc templates|--profile') _mg_value profiles '' ;;
        'npc templates|-p') _mg_value profiles '' ;;
        'npc template show|--profile') _mg_value profiles '' ;;
        'npc template show|-p') _mg_value profiles '' ;;
        'npc template init|--output') _mg_value files '' ;;
        'npc template init|-o') _mg_value files '' ;;
        'npc template init|--profile') _mg_value profiles '' ;;
        'npc template init|-p') _mg_value profiles '' ;;
        'npc template create|--profile') _mg_value profiles '' ;;
        'npc template create|-p') _mg_value profiles '' ;;
        'npc template update|--profile') _mg_value profiles '' ;;
        'npc template update|-p') _mg_value profiles '' ;;
        'npc template rm|--profile') _mg_value profiles '' ;;
        'npc template rm|-p') _mg_value profiles '' ;;
        'npc template diff|--profile') _mg_value profiles '' ;;
        'npc template diff|-p') _mg_value profiles '' ;;
        'models list|--profile') _mg_value profiles '' ;;
        'models list|-p') _mg_value profiles '' ;;
        'models catalog|--profile') _mg_value profiles '' ;;
        'models catalog|-p') _mg_value profiles '' ;;
        'login|--profile') _mg_value profiles '' ;;
        'login|-p') _mg_value profiles '' ;;
        'logout|--profile') _mg_value profiles '' ;;
        'logout|-p') _mg_value profiles '' ;;
        'whoami|--profile') _mg_value profiles '' ;;
        'whoami|-p') _mg_value profiles '' ;;
        'keys list|--profile') _mg_value profiles '' ;;
        'keys list|-p') _mg_value profiles '' ;;
        'keys create|--profile') _mg_value profiles '' ;;
        'keys create|-p') _mg_value profiles '' ;;
        'keys rotate|--profile') _mg_value profiles '' ;;
        'keys rotate|-p') _mg_value profiles '' ;;
        'keys revoke|--profile') _mg_value profiles '' ;;
        'keys revoke|-p') _mg_value profiles '' ;;
        'keys health|--profile') _mg_value profiles '' ;;
        'keys health|-p') _mg_value profiles '' ;;
        'tokens list|--profile') _mg_value profiles '' ;;
        'tokens list|-p') _mg_value profiles '' ;;
        'tokens create|--profile') _mg_value profiles '' ;;
        'tokens create|-p') _mg_value profiles '' ;;
        'tokens revoke|--profile') _mg_value profiles '' ;;
        'tokens revoke|-p') _mg_value profiles '' ;;
        'credits|--profile') _mg_value profiles '' ;;
        'credits|-p') _mg_value profiles '' ;;
        'usage|--profile') _mg_value profiles '' ;;
        'usage|-p') _mg_value profiles '' ;;
        'logs|--profile') _mg_value profiles '' ;;
        'logs|-p') _mg_value profiles '' ;;
        'billing spend-limit|--profile') _mg_value profiles '' ;;
        'billing spend-limit|-p') _mg_value profiles '' ;;
        'billing manage|--profile') _mg_value profiles '' ;;
        'billing manage|-p') _mg_value profiles '' ;;
        'tiers|--profile') _mg_value profiles '' ;;
        'tiers|-p') _mg_value profiles '' ;;
        'pricing|--profile') _mg_value profiles '' ;;
        'pricing|-p') _mg_value profiles '' ;;
        'cost|--profile') _mg_value profiles '' ;;
        'cost|-p') _mg_value profiles '' ;;
        'profiles list|--profile') _mg_value profiles '' ;;
        'profiles list|-p') _mg_value profiles '' ;;
        'profiles use|--profile') _mg_value profiles '' ;;
        'profiles use|-p') _mg_value profiles '' ;;
        'profiles add|--profile') _mg_value profiles '' ;;
        'profiles add|-p') _mg_value profiles '' ;;
        'profiles remove|--profile') _mg_value profiles '' ;;
        'profiles remove|-p') _mg_value profiles '' ;;
        'symbols upload|--profile') _mg_value profiles '' ;;
        'symbols upload|-p') _mg_value profiles '' ;;
        'symbols list|--profile') _mg_value profiles '' ;;
        'symbols list|-p') _mg_value profiles '' ;;
        'symbols lookup|--profile') _mg_value profiles '' ;;
        'symbols lookup|-p') _mg_value profiles '' ;;
        'symbols rm|--profile') _mg_value profiles '' ;;
        'symbols rm|-p') _mg_value profiles '' ;;
        'crashes list|--profile') _mg_value profiles '' ;;
        'crashes list|-p') _mg_value profiles '' ;;
        'crashes show|--profile') _mg_value profiles '' ;;
        'crashes show|-p') _mg_value profiles '' ;;
        'crashes trends|--profile') _mg_value profiles '' ;;
        'crashes trends|-p') _mg_value profiles '' ;;
        'crashes stats|--profile') _mg_value profiles '' ;;
        'crashes stats|-p') _mg_value profiles '' ;;
        'crashes status|--profile') _mg_value profiles '' ;;
        'crashes status|-p') _mg_value profiles '' ;;
        'crashes analyze|--profile') _mg_value profiles '' ;;
        'crashes analyze|-p') _mg_value profiles '' ;;
        'crashes submit|--profile') _mg_value profiles '' ;;
        'crashes submit|-p') _mg_value profiles '' ;;
        'debug sessions list|--profile') _mg_value profiles '' ;;
        'debug sessions list|-p') _mg_value profiles '' ;;
        'debug sessions create|--profile') _mg_value profiles '' ;;
        'debug sessions create|-p') _mg_value profiles '' ;;
        'debug sessions show|--profile') _mg_value profiles '' ;;
        'debug sessions show|-p') _mg_value profiles '' ;;
        'debug sessions archive|--profile') _mg_value profiles '' ;;
        'debug sessions archive|-p') _mg_value profiles '' ;;
        'webhooks list|--profile') _mg_value profiles '' ;;
        'webhooks list|-p') _mg_value profiles '' ;;
        'webhooks add|--profile') _mg_value profiles '' ;;
        'webhooks add|-p') _mg_value profiles '' ;;
        'webhooks show|--profile') _mg_value profiles '' ;;
        'webhooks show|-p') _mg_value profiles '' ;;
        'webhooks rm|--profile') _mg_value profiles '' ;;
        'webhooks rm|-p') _mg_value profiles '' ;;
        'webhooks ping|--profile') _mg_value profiles '' ;;
        'webhooks ping|-p') _mg_value profiles '' ;;
        'webhooks rotate|--profile') _mg_value profiles '' ;;
        'webhooks rotate|-p') _mg_value profiles '' ;;
        'webhooks deliveries|--profile') _mg_value profiles '' ;;
        'webhooks deliveries|-p') _mg_value profiles '' ;;
        'webhooks redeliver|--profile') _mg_value profiles '' ;;
        'webhooks redeliver|-p') _mg_value profiles '' ;;
        'webhooks listen|--profile') _mg_value profiles '' ;;
        'webhooks listen|-p') _mg_value profiles '' ;;
        'gateway serve|--data-dir') _mg_value dirs '' ;;
        'gateway serve|--profile') _mg_value profiles '' ;;
        'gateway serve|-p') _mg_value profiles '' ;;
        'gateway status|--data-dir') _mg_value dirs '' ;;
        'gateway status|--profile') _mg_value profiles '' ;;
        'gateway status|-p') _mg_value profiles '' ;;
        'gateway env|--data-dir') _mg_value dirs '' ;;
        'gateway env|--shell') _mg_value words 'bash zsh fish powershell' ;;
        'gateway env|--profile') _mg_value profiles '' ;;
        'gateway env|-p') _mg_value profiles '' ;;
        'gateway stop|--data-dir') _mg_value dirs '' ;;
        'gateway stop|--profile') _mg_value profiles '' ;;
        'gateway stop|-p') _mg_value profiles '' ;;
        'gateway logs|--data-dir') _mg_value dirs '' ;;
        'gateway logs|--profile') _mg_value profiles '' ;;
        'gateway logs|-p') _mg_value profiles '' ;;
        'gateway migrate|--data-dir') _mg_value dirs '' ;;
        'gateway migrate|--profile') _mg_value profiles '' ;;
        'gateway migrate|-p') _mg_value profiles '' ;;
        'gateway outbox|--data-dir') _mg_value dirs '' ;;
        'gateway outbox|--profile') _mg_value profiles '' ;;
        'gateway outbox|-p') _mg_value profiles '' ;;
        'tui|--profile') _mg_value profiles '' ;;
        'tui|-p') _mg_value profiles '' ;;
        'completion show|--shell') _mg_value words 'bash zsh fish' ;;
        'completion show|--profile') _mg_value profiles '' ;;
        'completion show|-p') _mg_value profiles '' ;;
        'completion install|--shell') _mg_value words 'bash zsh fish' ;;
        'completion install|--profile') _mg_value profiles '' ;;
        'completion install|-p') _mg_value profiles '' ;;
        'help|--profile') _mg_value profiles '' ;;
        'help|-p') _mg_value profiles '' ;;
        *) COMPREPLY=() ;;
    esac
}

_mg_arguments() {
    case "$1" in
        'profiles use') _mg_value profiles '' ;;
        'profiles remove') _mg_value profiles '' ;;
        'help') _mg_value words 'environment exit-codes chat threads npc models login logout whoami keys tokens credits usage logs billing tiers pricing cost profiles symbols crashes debug webhooks gateway tui completion help' ;;
        *) COMPREPLY=() ;;
    esac
}

_mg() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local cmdpath="" word i expect=0 subs
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        if ((expect)); then expect=0; continue; fi
        if [[ $word == -* ]]; then
            [[ $word != *=* ]] && _mg_takes_value "$cmdpath" "$word" && expect=1
            continue
        fi
        subs=" $(_mg_subcommands "$cmdpath") "
        if [[ $subs == *" $word "* ]]; then cmdpath="${cmdpath:+$cmdpath }$word"; fi
    done
    if ((expect)); then
        _mg_option_values "$cmdpath" "$prev"
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_mg_options "$cmdpath")" -- "$cur"))
        return 0
    fi
    subs="$(_mg_subcommands "$cmdpath")"
    if [[ -n $subs ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    else
        _mg_arguments "$cmdpath"
    fi
}

complete -F _mg mg
