#!/usr/bin/env bash
# The Debian package, used as an administrator would: dpkg-buildpackage builds
# it from a copy of the source, lintian reports no error, apt-get installs it
# (a stripped /usr/bin/pgbak with its debug symbols in pgbak-dbgsym, libcrypto
# linked shared and libpq loaded on first use, both recorded as dependencies, the man page, bash
# completion, upload scripts, docs and the systemd units). Then the README's
# deployment checklist runs with the installed /usr/bin/pgbak against a cluster
# made by pg_createcluster (configuration in /etc/postgresql/15/NAME): init,
# archive_command, check, full-sync, the command line of pgbak-sync@.service
# for that cluster (run by hand as systemd would: no systemd here), verify and
# the Debian restore (`restore --cluster` into the stopped, emptied cluster,
# then pg_ctlcluster start) that recovers the same data. Finally pg_dropcluster and apt-get
# purge, which also run (from the EXIT trap, or a watchdog if the test is
# killed) when the test fails. Runs as root (CI does); one run at a time per
# machine (a lock), since it installs the package system-wide. A pgbak package
# installed before the test (the README's quick start installs it) is replaced
# by this tree's package, and that package is installed again at the end.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"

# deb_cleanup CLUSTER [DEB]: drop Debian cluster 15/CLUSTER, stop the pgbak
# processes working on its backup directory, remove that directory, purge the
# package, then install DEB if given (pgbak was installed before the test).
# Idempotent.
deb_cleanup() {
  local cluster=$1 reinstall=${2:-} dir=/var/lib/pgbak/15/$1
  set +e
  if [[ -d /etc/postgresql/15/$cluster ]]; then
    pg_dropcluster --stop 15 "$cluster"
    rm -rf "/etc/postgresql/15/$cluster" # what pg_dropcluster keeps: our conf.d/pgbak.conf
  fi
  T=$dir PGBAK_BIN=/usr/bin/pgbak _e2e_kill_pgbak # the helper matches processes under $T
  rm -rf "$dir"
  rmdir /var/lib/pgbak/15 /var/lib/pgbak 2>/dev/null
  if dpkg-query -W -f='${Status}' pgbak 2>/dev/null | grep -q ' installed$'; then
    apt-get -o DPkg::Lock::Timeout=600 purge -y pgbak >/dev/null
  fi
  if [[ -n $reinstall ]]; then
    apt-get -o DPkg::Lock::Timeout=600 install -y "$reinstall" >/dev/null
  fi
}
if [[ ${1:-} == --cleanup-after ]]; then # the watchdog: clean up once test $2 is gone
  while kill -0 "$2" 2>/dev/null; do sleep 1; done
  deb_cleanup "$3" "${4:-}" >/dev/null 2>&1
  exit 0
fi

build_dir=$(dirname "$PGBAK_BIN") # before e2e_init may copy the binary
e2e_init
((EUID == 0)) || fail "run as root: the test installs the package and creates a Debian cluster"
version=$(dpkg-parsechangelog -l "$PGBAK_SRC/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)

# ---- build: in a copy of the source (dpkg-buildpackage writes the packages
# beside it), at a fixed place under the build directory, so that ccache finds
# the objects of the previous run (the compiler flags contain the path).
work=$build_dir/deb
rm -rf "$work"
mkdir -p "$work/pgbak-$version"
tar -C "$PGBAK_SRC" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$work/pgbak-$version" -xf -
start=$SECONDS
if ! (cd "$work/pgbak-$version" && CCACHE_DIR=${CCACHE_DIR:-$(ccache -k cache_dir)} \
  dpkg-buildpackage -us -uc -b -j2) >"$T/dpkg-buildpackage.log" 2>&1; then
  tail -n 40 "$T/dpkg-buildpackage.log" >&2
  fail "dpkg-buildpackage -us -uc -b failed"
fi
deb=$work/pgbak_${version}_$arch.deb
dbgsym=$work/pgbak-dbgsym_${version}_$arch.deb
assert_file "$deb" "dpkg-buildpackage made no pgbak package"
assert_file "$dbgsym" "dpkg-buildpackage made no pgbak-dbgsym package"
ok "dpkg-buildpackage -b: ${deb##*/} and ${dbgsym##*/} in $((SECONDS - start)) s"

if ! lintian --fail-on error "$deb" >"$T/lintian.out" 2>&1; then
  cat "$T/lintian.out" >&2
  fail "lintian reports errors on ${deb##*/}"
fi
sed 's/^/  lintian: /' "$T/lintian.out"
ok "lintian: no errors"

# What the package holds (checked in the .deb: a Docker image's dpkg may be set
# to skip installing docs and man pages).
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/bin/pgbak /usr/share/man/man1/pgbak.1.gz /usr/share/bash-completion/completions/pgbak \
  /usr/share/pgbak/scripts/backup-rsync /usr/share/pgbak/scripts/backup-rclone /usr/share/pgbak/scripts/backup-s3 \
  /lib/systemd/system/pgbak-sync@.service /lib/systemd/system/pgbak-sync@.timer \
  /usr/share/doc/pgbak/copyright /usr/share/doc/pgbak/examples/pgbak.cron; do
  grep -qxF "$f" <<<"$contents" || fail "the package has no $f"
done
for doc in README format restore sync upload; do
  grep -qE "^/usr/share/doc/pgbak/$doc\.md(\.gz)?$" <<<"$contents" || fail "the package has no /usr/share/doc/pgbak/$doc.md"
done
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libpq5 libssl3 libzstd1; do
  [[ $depends == *"$lib"* ]] || fail "the package does not depend on $lib: Depends: $depends"
done
ok "the package holds the program, man page, completion, scripts, units and docs; Depends: $depends"

# `cmake --install` (here of the tests' build, prefix /usr/local) installs the same set.
DESTDIR=$T/inst cmake --install "$build_dir" >"$T/cmake-install.log" 2>&1 || fail "cmake --install failed"
from_cmake=$(cd "$T/inst/usr/local" && find . ! -type d | sed 's|^\./|/usr/|' | sort)
from_package=$(grep -v '/$' <<<"$contents" | sed 's/\.gz$//; s|^/lib/systemd/|/usr/lib/systemd/|' |
  grep -vxE '/usr/share/doc/pgbak/(copyright|changelog)' | sort)
assert_eq "$from_package" "$from_cmake" "cmake --install and the package install different files"
grep -qx 'ExecStart=/usr/local/bin/pgbak -q sync' "$T/inst/usr/local/lib/systemd/system/pgbak-sync@.service" ||
  fail "cmake --install's unit does not run /usr/local/bin/pgbak"
ok "cmake --install installs the package's $(wc -l <<<"$from_cmake") files under its prefix"

# ---- install
exec 9>/run/lock/pgbak-e2e-deb-package.lock
flock -w 900 9 || fail "another run of this test held /run/lock/pgbak-e2e-deb-package.lock for 15 min"
reinstall=
if dpkg-query -W -f='${Status}' pgbak 2>/dev/null | grep -q ' installed$'; then
  reinstall=$deb
  echo "# pgbak $(dpkg-query -W -f='${Version}' pgbak) is installed: replaced by ${deb##*/}, which stays installed at the end"
fi
cluster=pgbaktest$$
trap 'rc=$?; deb_cleanup "$cluster" "$reinstall"; _e2e_exit "$rc"' EXIT
# The watchdog keeps the lock (fd 9) until it has cleaned up.
setsid -f bash "${BASH_SOURCE[0]}" --cleanup-after "$$" "$cluster" "$reinstall" </dev/null >/dev/null 2>&1

apt-get -o DPkg::Lock::Timeout=600 install --reinstall -y "$deb" >"$T/apt-install.log" 2>&1 ||
  fail "apt-get install ${deb##*/} failed: $(tail -n 5 "$T/apt-install.log")"
assert_eq "install ok installed" "$(dpkg-query -W -f='${Status}' pgbak)" "package status"
PGBAK_BIN=/usr/bin/pgbak
assert_eq "pgbak $version" "$("$PGBAK_BIN" --version)" "the installed program's version"
for f in /usr/share/bash-completion/completions/pgbak /lib/systemd/system/pgbak-sync@.service \
  /lib/systemd/system/pgbak-sync@.timer; do
  assert_file "$f" "not installed"
done
for s in backup-rsync backup-rclone backup-s3; do
  [[ -x /usr/share/pgbak/scripts/$s ]] || fail "/usr/share/pgbak/scripts/$s is not installed executable"
done

sections=$(readelf -S --wide "$PGBAK_BIN")
[[ $sections != *.debug_info* && $sections != *.symtab* ]] || fail "/usr/bin/pgbak is not stripped"
build_id=$(readelf -n "$PGBAK_BIN" | sed -n 's/.*Build ID: //p')
[[ -n $build_id ]] || fail "/usr/bin/pgbak has no build id"
debug_files=$(dpkg-deb -c "$dbgsym")
grep -q "/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug$" <<<"$debug_files" ||
  fail "pgbak-dbgsym has no debug file for build id $build_id"
libs=$(ldd "$PGBAK_BIN")
for so in libcrypto.so.3 libzstd.so.1; do
  grep -q "$so => /" <<<"$libs" || fail "/usr/bin/pgbak does not link $so shared: $libs"
done
# libpq is the system's, loaded when a command talks to the server (check and full-sync below).
! grep -q "libpq" <<<"$libs" || fail "/usr/bin/pgbak links libpq (it loads it on first use): $libs"
ok "/usr/bin/pgbak: stripped (debug symbols in pgbak-dbgsym, build id $build_id), libcrypto shared, libpq loaded on use"

cmp -s <("$PGBAK_BIN" completion bash) /usr/share/bash-completion/completions/pgbak ||
  fail "the installed completion differs from 'pgbak completion bash'"
spec=$(env -i HOME="$T" PATH="$PATH" bash --norc --noprofile -c \
  'source /usr/share/bash-completion/bash_completion; _completion_loader pgbak; complete -p pgbak')
assert_eq "complete -F _pgbak pgbak" "$spec" "bash-completion's loader finds the installed completion"
ok "bash-completion loads the installed completion"

# ---- the deployment checklist, on a Debian cluster
port=$(_e2e_free_port)
pg_createcluster 15 "$cluster" -p "$port" >"$T/createcluster.log" 2>&1 ||
  fail "pg_createcluster 15 $cluster failed: $(tail -n 5 "$T/createcluster.log")"
conf=/etc/postgresql/15/$cluster
assert_file "$conf/postgresql.conf" "pg_createcluster made no configuration in /etc"
# lib.sh's cluster helpers (psql, pgbench, wait_archived) reach it as cluster "deb"
ln -s /var/run/postgresql "$T/deb.sock"
echo "$port" >"$T/deb.port"

# 1. init of the package's default directory for 15/CLUSTER, backup script
# linked to an installed upload script
PGBAK=/var/lib/pgbak/15/$cluster
install -d -o postgres -g postgres -m 700 "$PGBAK"
assert_exit 0 pgbak_run init
as_pg sh -c 'cat >>"$1"' _ "$PGBAK/pgbak.conf" <<EOF
conninfo = host=/var/run/postgresql port=$port
EOF
as_pg ln -sfn /usr/share/pgbak/scripts/backup-rsync "$PGBAK/scripts/backup"
as_pg mkdir "$T/remote"
echo "PGBAK_RSYNC_TARGET=$T/remote" | as_pg sh -c 'cat >"$1"' _ "$PGBAK/scripts/backup.env"

# 2. archive_command in the cluster's configuration directory, start
cat >"$conf/conf.d/pgbak.conf" <<EOF
archive_mode = on
archive_command = '/usr/bin/pgbak -D $PGBAK archive-wal %p'
EOF
pg_ctlcluster 15 "$cluster" start 9>&- || fail "pg_ctlcluster 15 $cluster start failed"
cluster_pgbench deb -i -s 2 -q >/dev/null 2>&1 || fail "pgbench -i failed"
wait_archived deb --no-failures

# 3. check, 4. first snapshot
assert_exit 0 pgbak_run check
ok "pgbak check passes on Debian cluster 15/$cluster"
assert_exit 0 pgbak_run -q full-sync
gen=$(readlink "$PGBAK/current")
assert_file "$PGBAK/$gen/base.tzst" "full-sync made no base backup"
ok "pgbak full-sync: generation $gen"

# 5. the unit's command line for instance 15-CLUSTER, as systemd runs it: as
# User=, with only Environment= set (EnvironmentFile= is optional and absent)
cluster_pgbench deb -c 2 -t 300 >/dev/null 2>&1 || fail "pgbench failed"
sums=$(table_sums deb)
wait_archived deb --no-failures
unit=/lib/systemd/system/pgbak-sync@.service
expand() { # systemd's %I (15/CLUSTER) and %i (15-CLUSTER)
  local s=${1//%I/15\/$cluster}
  echo "${s//%i/15-$cluster}"
}
user=$(sed -n 's/^User=//p' "$unit")
environment=$(expand "$(sed -n 's/^Environment=//p' "$unit")")
read -ra exec_start <<<"$(expand "$(sed -n 's/^ExecStart=//p' "$unit")")"
assert_eq "PGBAK=$PGBAK" "$environment" "the unit's backup directory for 15-$cluster"
assert_eq "/usr/bin/pgbak -q sync" "${exec_start[*]}" "the unit's command"
assert_exit 0 runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
  "$environment" "${exec_start[@]}"
assert_eq "" "$LAST_STDOUT$LAST_STDERR" "'pgbak -q sync' prints nothing on success"
assert_file "$T/remote/$gen/SHA256SUMS" "the unit's sync did not upload generation $gen"
(cd "$T/remote/$gen" && sha256sum -c --quiet SHA256SUMS) || fail "the uploaded copy does not match its SHA256SUMS"
ok "the unit's ExecStart (${exec_start[*]} as $user, $environment) uploaded generation $gen"

# 6. verify, then the Debian restore (README, "Debian clusters"): the cluster
# stopped, its data directory emptied and its archive settings lost;
# `restore --cluster` puts data and /etc/postgresql/15/CLUSTER back,
# pg_ctlcluster starts it, it recovers the same data and archives again.
assert_exit 0 pgbak_run verify
data=$(runuser -u postgres -- psql -X -qAt -h /var/run/postgresql -p "$port" -d postgres -c 'SHOW data_directory')
assert_eq "/var/lib/postgresql/15/$cluster" "$data" "the cluster's data directory"
pg_ctlcluster 15 "$cluster" stop 9>&- || fail "pg_ctlcluster 15 $cluster stop failed"
find "$data" -mindepth 1 -delete
rm "$conf/conf.d/pgbak.conf"
assert_exit 0 "$PGBAK_BIN" -D "$PGBAK" restore --cluster "15/$cluster"
assert_match "next: pg_ctlcluster 15 $cluster start" "$LAST_STDOUT"
assert_file "$conf/conf.d/pgbak.conf" "restore --cluster did not put the archive settings back"
pg_ctlcluster 15 "$cluster" start 9>&- || fail "pg_ctlcluster 15 $cluster start after the restore failed"
wait_recovered deb
assert_eq "$sums" "$(table_sums deb)" "the restored cluster's data"
assert_eq "/usr/bin/pgbak -D $PGBAK archive-wal %p" "$(cluster_psql deb -c 'SHOW archive_command')" "archive_command after the restore"
wait_archived deb --no-failures
ok "restore --cluster 15/$cluster + pg_ctlcluster start: the same data, configuration back, archiving again"

# ---- removal
rm "$conf/conf.d/pgbak.conf" # ours; pg_dropcluster removes only its own files
pg_dropcluster --stop 15 "$cluster" || fail "pg_dropcluster --stop 15 $cluster failed"
[[ ! -e $conf ]] || fail "pg_dropcluster left $conf"
apt-get -o DPkg::Lock::Timeout=600 purge -y pgbak >"$T/apt-purge.log" 2>&1 || fail "apt-get purge pgbak failed"
if dpkg-query -W -f='${Status}' pgbak 2>/dev/null | grep -q ' installed$'; then
  fail "pgbak is still installed after apt-get purge"
fi
for f in /usr/bin/pgbak /lib/systemd/system/pgbak-sync@.service /usr/share/bash-completion/completions/pgbak; do
  assert_no_file "$f" "left behind by apt-get purge"
done
ok "pg_dropcluster and apt-get purge pgbak leave nothing behind"
