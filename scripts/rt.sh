#!/usr/bin/env bash
# Start a throwaway Request Tracker 5 on 127.0.0.1 for the tests and the benchmark: Debian's request-tracker5 on
# SQLite, served by RT's own standalone server, with a privileged user and an auth token for REST2.
#   eval "$(bash scripts/rt.sh start DIR)"   # prints RT_URL=... RT_TOKEN=... RT_DIR=... (shell assignments)
#   bash scripts/rt.sh stop DIR
# Installs request-tracker5 (rt5-db-sqlite, rt5-standalone) with apt-get when it is missing and we are root.
# Everything of one instance lives in DIR (config, database, caches, log, pid): `rm -rf DIR` resets it.
# Knobs: RT_NOTIFY=off disables RT's mail-sending scrips (creating tickets is ~3x faster; the benchmark uses it).
set -euo pipefail
action=${1:?start or stop}
dir=${2:?a directory for the instance}

RT_LIB=/usr/share/request-tracker5/lib
RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
RT_SETUP=/usr/sbin/rt-setup-database-5
USER_NAME=portalctl
USER_EMAIL=portalctl@rt.test

install_rt() {
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "Request Tracker is not installed (apt-get install request-tracker5 rt5-db-sqlite rt5-standalone)" >&2
    exit 1
  fi
  echo "installing Debian's request-tracker5" >&2
  # No database from dbconfig-common (each instance makes its own) and no cron jobs; no questions asked.
  debconf-set-selections <<'EOF'
request-tracker5 request-tracker5/dbconfig-install boolean false
request-tracker5 request-tracker5/install-cronjobs boolean false
EOF
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    request-tracker5 rt5-db-sqlite rt5-standalone >&2
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The HTTP status of GET URL (000 when nothing answers), with an optional Authorization header value.
status_of() {
  python3 - "$@" <<'EOF'
import sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1], headers={"Authorization": sys.argv[2]} if len(sys.argv) > 2 else {})
try:
    print(urllib.request.urlopen(request, timeout=5).status)
except urllib.error.HTTPError as exc:
    print(exc.code)
except OSError:
    print("000")
EOF
}

# RT reads its site config from these; Debian's own (root-only /rtdb and /rt paths, syslog) is left out.
use_config() {
  export RT_SITE_CONFIG="$dir/etc/RT_SiteConfig.pm" RT_SITE_CONFIG_DIR="$dir/etc/RT_SiteConfig.d"
}

write_config() {  # write_config PORT
  local url="http://127.0.0.1:$1"
  mkdir -p "$dir/etc/RT_SiteConfig.d" "$dir/mason" "$dir/sessions"
  cat >"$dir/etc/RT_SiteConfig.pm" <<EOF
Set(\$rtname, 'portalctl-test');
Set(\$Organization, 'rt.test');
Set(\$CorrespondAddress, 'rt\@rt.test');
Set(\$CommentAddress, 'rt-comment\@rt.test');
Set(\$Timezone, 'UTC');
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$dir/rt.sqlite');
# REST2 builds every _url, next_page and Location from these.
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $1);
Set(\$WebPath, '');
Set(\$WebBaseURL, '$url');
Set(\$MasonDataDir, '$dir/mason');
Set(\$MasonSessionDir, '$dir/sessions');
Set(\$LogToSyslog, undef);
Set(\$LogToSTDERR, 'warning');
# Mail RT would send is kept in a file, never handed to an MTA.
Set(\$MailCommand, sub { open(my \$out, '>>', '$dir/mail.mbox') or return 0; print \$out shift->as_string, "\n"; 1 });
# Passwords and auth tokens are bcrypt hashes checked on every request: RT's cost 12 takes ~0.2 s of CPU each.
Set(\$BcryptCost, 4);
# The HTML-to-text formatter RT would pick (w3m when installed) doubles the time to create a ticket.
Set(\$HTMLFormatter, 'core');
1;
EOF
}

# The database, then the user the tests act as (a superuser: the support team's view) and its auth token.
init_database() {
  printf 'password\n' >"$dir/root-password"
  RT_DB_NAME="$dir/rt.sqlite.new" "$RT_SETUP" --action init --skip-create --root-password-file "$dir/root-password" \
    >"$dir/setup.log" 2>&1 || { tail -n 20 "$dir/setup.log" >&2; exit 1; }
  rm -f "$dir/root-password"
  mv "$dir/rt.sqlite.new" "$dir/rt.sqlite"
  RT_NOTIFY=${RT_NOTIFY:-on} perl -I"$RT_LIB" - "$USER_NAME" "$USER_EMAIL" >"$dir/token" 2>>"$dir/setup.log" <<'EOF'
use strict; use warnings; use RT;
RT::LoadConfig(); RT::Init();
my ($name, $email) = @ARGV;
my $user = RT::User->new(RT->SystemUser);
my ($id, $msg) = $user->Create(Name => $name, EmailAddress => $email, RealName => 'portalctl tests', Privileged => 1);
die "user: $msg\n" unless $id;
($id, $msg) = $user->PrincipalObj->GrantRight(Right => 'SuperUser', Object => RT->System);
die "right: $msg\n" unless $id;
if ($ENV{RT_NOTIFY} eq 'off') {
    my $scrips = RT::Scrips->new(RT->SystemUser); $scrips->UnLimit;
    while (my $scrip = $scrips->Next) {
        $scrip->SetDisabled(1) if $scrip->ActionObj->ExecModule =~ /^(?:Notify|NotifyAsComment|Autoreply)$/;
    }
}
my $me = RT::CurrentUser->new; $me->Load($name);
my ($token_id, $error, $token) = RT::AuthToken->new($me)->Create(Owner => $me->id, Description => 'portalctl tests');
die "token: $error\n" unless $token_id;
print "$token\n";
EOF
  chmod 600 "$dir/token"
}

case $action in
start)
  [[ -x $RT_SERVER ]] || install_rt
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  use_config
  port=$(free_port)
  write_config "$port"
  [[ -s $dir/rt.sqlite ]] || init_database
  rm -rf "$dir/mason/"*  # compiled templates belong to one RT version
  # Two workers: RT's default of ten takes ~1.2 GB. setsid: the server outlives the shell that started it, and
  # `stop` ends its whole process group.
  setsid "$RT_SERVER" --host 127.0.0.1 --port "$port" --max-workers 2 --max-reqs-per-child 10000 \
    >"$dir/server.log" 2>&1 </dev/null &
  echo $! >"$dir/server.pid"
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 240); do  # a minute at most; an unauthenticated REST2 request answers 401 once RT is up
    [[ $(status_of "$url/REST/2.0/rt") == 401 ]] && break
    kill -0 "$(cat "$dir/server.pid")" 2>/dev/null || { tail -n 30 "$dir/server.log" >&2; exit 1; }
    sleep 0.25
  done
  if [[ $(status_of "$url/REST/2.0/rt" "token $(cat "$dir/token")") != 200 ]]; then
    tail -n 30 "$dir/server.log" >&2
    echo "RT did not answer at $url" >&2
    exit 1
  fi
  printf "RT_URL=%s\nRT_TOKEN=%s\nRT_DIR=%s\n" "$url" "$(cat "$dir/token")" "$dir"
  ;;
stop)
  [[ -f $dir/server.pid ]] || exit 0
  pid=$(cat "$dir/server.pid")
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$dir/server.pid"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
