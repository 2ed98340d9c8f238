#!/usr/bin/env bash
# scripts/backup-s3 end to end: the AWS CLI against s3rver (an S3-compatible
# server from the npm registry, run with node on 127.0.0.1, bucket and objects
# kept in $T/s3): the downloaded copy is byte-identical and passes
# sha256sum -c; a rerun writes nothing; a new file uploads just it (and
# SHA256SUMS); a failed data upload leaves no SHA256SUMS; the server down is
# a one-line error.
#
# s3rver is installed once with `npm install --prefix` into a cache directory
# ($PGBAK_TEST_CACHE, default /var/cache/pgbak-test, else ~/.cache/pgbak-test)
# and used offline from there afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
source "$PGBAK_SRC/tests/e2e/upload_lib.sh"
source "$PGBAK_SRC/tests/e2e/restore_lib.sh"
source "$PGBAK_SRC/tests/e2e/drill_lib.sh"
SCRIPT=$PGBAK_SRC/scripts/backup-s3
S3RVER_VERSION=3.7.1
command -v aws >/dev/null || fail "no aws (install awscli)"
command -v node >/dev/null || fail "no node (install nodejs)"

# ---- s3rver, from the cache or installed into it
s3rver_in() { # s3rver_in DIR: DIR holds s3rver $S3RVER_VERSION
  [[ -f $1/node_modules/s3rver/package.json ]] &&
    [[ $(node -p "require('$1/node_modules/s3rver/package.json').version" 2>/dev/null) == "$S3RVER_VERSION" ]]
}
cache=${PGBAK_TEST_CACHE:-/var/cache/pgbak-test}
if ! s3rver_in "$cache"; then
  if ! mkdir -p "$cache" 2>/dev/null || [[ ! -w $cache ]]; then
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/pgbak-test
    mkdir -p "$cache"
  fi
  (
    flock 9
    if ! s3rver_in "$cache"; then
      command -v npm >/dev/null || fail "s3rver is not in $cache and there is no npm to install it (install npm)"
      echo "installing s3rver@$S3RVER_VERSION into $cache (npm registry)"
      npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "s3rver@$S3RVER_VERSION" >"$T/npm.log" 2>&1 ||
        fail "npm install s3rver@$S3RVER_VERSION into $cache failed: $(tail -n 3 "$T/npm.log" | tr '\n' ' ')"
    fi
  ) 9>"$cache/.lock"
fi
s3rver=$cache/node_modules/s3rver/bin/s3rver.js
[[ -f $s3rver ]] || fail "no $s3rver after npm install"

bucket=pgbak-test
port=$(free_tcp_port)
start_s3() {
  start_server "$T/s3rver.log" node "$s3rver" --directory "$T/s3" --address 127.0.0.1 --port "$port" \
    --configure-bucket "$bucket" --no-vhost-buckets
  s3_pid=$SERVER_PID
  wait_tcp "$port" 30 "$s3_pid"
}
start_s3

# ---- the client: s3rver's fixed credentials, no AWS config of this machine
mkdir -m 700 "$T/aws"
printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' >"$T/aws/config"
: >"$T/aws/credentials"
export AWS_CONFIG_FILE=$T/aws/config AWS_SHARED_CREDENTIALS_FILE=$T/aws/credentials
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=2 AWS_RETRY_MODE=standard
# Newer AWS CLIs send checksums in ways many S3-compatible servers reject.
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
export PGBAK_S3_ENDPOINT=http://127.0.0.1:$port
s3() { aws --endpoint-url "$PGBAK_S3_ENDPOINT" s3 "$@"; }
ok "s3rver $S3RVER_VERSION on 127.0.0.1:$port, $(aws --version 2>&1 | cut -d' ' -f1)"

export PGBAK_S3_URL=s3://$bucket/backups/
# base.tzst above the AWS CLI's 8 MiB multipart threshold: a multipart upload.
make_fake_generation "$T/pgbak" 1763700000 $((9 * 1024))
STORE=$T/s3/$bucket/backups/1763700000

# s3_fingerprint: path, inode and change time of every object s3rver stores
# under the generation.
s3_fingerprint() {
  (cd "$STORE" && find . -type f -name '*._S3rver_object' -printf '%P %i %C@\n' |
    sed 's/\._S3rver_object / /' | sort)
}
# store_copy TS DIR: the objects s3rver stores for generation TS, as files
# (s3rver keeps each object's bytes in KEY._S3rver_object).
store_copy() {
  local f
  mkdir -p "$2"
  (cd "$T/s3/$bucket/backups/$1" && find . -type f -name '*._S3rver_object' -printf '%P\n') |
    while IFS= read -r f; do
      mkdir -p "$2/$(dirname "$f")"
      cp "$T/s3/$bucket/backups/$1/$f" "$2/${f%._S3rver_object}"
    done
}
# download DIR: the whole prefix back through the AWS CLI.
download() { s3 sync --no-progress --only-show-errors "s3://$bucket/backups/" "$1/"; }

# ---- settings missing or wrong
no_url() { (unset PGBAK_S3_URL && run_upload "$SCRIPT" "$GEN"); }
assert_exit 2 no_url
assert_one_line_error backup-s3
ok "no PGBAK_S3_URL: exit 2, $LAST_STDERR"
bad_url() { (export PGBAK_S3_URL=$bucket/backups && run_upload "$SCRIPT" "$GEN"); }
assert_exit 2 bad_url
assert_one_line_error backup-s3

# ---- first upload
assert_exit 0 run_upload "$SCRIPT" "$GEN"
store_copy 1763700000 "$T/stored"
assert_same_tree "$GEN" "$T/stored"
assert_eq "" "$(find "$T/stored" -name '.*')" "temporary (dot) files in the bucket"
ok "uploaded: the objects are byte-identical, sha256sum -c passes, no temp files"

# ---- rerun is a no-op; a new WAL file uploads just it and SHA256SUMS
check_incremental "$SCRIPT" "$GEN" s3_fingerprint

# ---- data files that cannot be stored (a file where s3rver needs the
# directory pg_wal/): failure, and no SHA256SUMS for that generation
GEN1=$GEN
make_fake_generation "$T/pgbak" 1763800000
mkdir -p "$T/s3/$bucket/backups/1763800000"
echo blocker >"$T/s3/$bucket/backups/1763800000/pg_wal"
assert_exit 1 run_upload "$SCRIPT" "$GEN"
assert_one_line_error backup-s3
assert_no_file "$T/s3/$bucket/backups/1763800000/SHA256SUMS._S3rver_object" "SHA256SUMS uploaded although data files failed"
ok "failed data upload: exit 1, no SHA256SUMS ($LAST_STDERR)"
rm "$T/s3/$bucket/backups/1763800000/pg_wal"
assert_exit 0 run_upload "$SCRIPT" "$GEN"
ok "the next run completes it"

# ---- the downloaded copy
mkdir "$T/dl"
download "$T/dl"
assert_same_tree "$GEN1" "$T/dl/1763700000"
assert_same_tree "$GEN" "$T/dl/1763800000"
ok "downloaded back through the AWS CLI: both generations byte-identical"

# ---- the same script linked as scripts/fetch: list, get, delete
mkdir -p "$T/pgbak/scripts"
check_fetch_contract "$SCRIPT" "$T/pgbak" "$GEN1"
check_fetch_delete "$T/pgbak" 1763800000

# ---- server down
stop_pid "$s3_pid"
add_fake_wal "$GEN" 6
start=$SECONDS
assert_exit 1 run_upload "$SCRIPT" "$GEN"
assert_one_line_error backup-s3
ok "server down: exit 1 after $((SECONDS - start))s, $LAST_STDERR"
check_fetch_down "$T/pgbak" 1763700000 backup-s3

# ---- through pgbak itself, with a real server
start_s3
cat >"$T/backup.env" <<EOF
PGBAK_S3_URL=s3://$bucket/roundtrip
PGBAK_S3_ENDPOINT=$PGBAK_S3_ENDPOINT
export AWS_CONFIG_FILE='$T/aws/config' AWS_SHARED_CREDENTIALS_FILE='$T/aws/credentials'
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
EOF
rt_download() { s3 sync --no-progress --only-show-errors "s3://$bucket/roundtrip/" "$1/"; }
PGBAK=$T/pgbak-rt
pgbak_roundtrip "$SCRIPT" rt_download
sed "s|/roundtrip|/drill|" "$T/backup.env" >"$T/drill.env"
disaster_drill "$SCRIPT" "$T/drill.env"
ok "backup-s3 end to end"
