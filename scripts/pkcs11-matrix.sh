#!/usr/bin/env bash
# The PKCS#11 matrix: brings up software PKCS#11 implementations unattended (Debian packages from
# scripts/install-test-deps.sh; daemons started by hand here, each PID recorded and only those
# stopped at the end) and runs the same smoke test through each with the built CLI (bin/airsign.js):
#   key list, key export, cert create --import, sign in all five formats (one login), verify (Notation
#   trust policy + store, cosign key, GPG keyring + lookaside), one cosign signature checked by
#   openssl, and 8 parallel signs that must all succeed.
# Usage: bash scripts/pkcs11-matrix.sh [module…]   (default: all; names below)
# Modules: softhsm p11kit-proxy p11kit-client always-auth hash-and-sign nss nss-p11kit opencryptoki tpm2 camlcrush
# Prints one line per module (PASS/FAIL/SKIP with the reason) and a summary; exits non-zero on any FAIL.
# Needs root for opencryptoki (its pkcsslotd and /var/lib/opencryptoki) and for the NSS-via-p11-kit
# run (it switches to the nobody user: p11-kit ignores user module configs for root).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI=(node "$ROOT/bin/airsign.js")
LIB=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
[ -d "$LIB" ] || LIB=/usr/lib/x86_64-linux-gnu
SOFTHSM=$LIB/softhsm/libsofthsm2.so
[ -f "$SOFTHSM" ] || SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
BASE=$(mktemp -d "${TMPDIR:-/tmp}/airsign-p11-matrix-XXXXXX")
D=$BASE/nss
NSS_ARGS="configdir='sql:$D/db' certPrefix='' keyPrefix='' secmod='secmod.db' flags="
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=$D/home"
: > "$BASE/pids"
RESULTS=()
FAILED=0

KEEP=0
cleanup() {  # stops the daemons this run started; keeps the folder (logs) when a module failed
  while read -r pid _name; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done < "$BASE/pids"
  [ "$KEEP" = 1 ] || rm -rf "$BASE"
}
trap cleanup EXIT

now() { date +%s.%N; }
secs() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }

# ---------------------------------------------------------------- module setup ----

# A SoftHSM store with one token "airsign" (PIN 1234): P-256 (01), P-384 (02), RSA-3072 (03), Ed25519 (04).
softhsm_store() {  # dir [extra conf line]
  local D=$1; mkdir -p "$D/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n%s\n' "$D/tokens" "${2:-}" > "$D/softhsm2.conf"
  SOFTHSM2_CONF=$D/softhsm2.conf softhsm2-util --init-token --free --label airsign --so-pin 5678 --pin 1234 >/dev/null
  printf 1234 > "$D/pin"
  local k typ id label
  for k in EC:prime256v1,01,ec-p256 EC:secp384r1,02,ec-p384 rsa:3072,03,rsa-3072 EC:edwards25519,04,ed25519; do
    IFS=, read -r typ id label <<<"$k"
    SOFTHSM2_CONF=$D/softhsm2.conf pkcs11-tool --module "$SOFTHSM" --token-label airsign --login --pin 1234 \
      --keypairgen --key-type "$typ" --id "$id" --label "$label" --usage-sign ${3:-} >/dev/null
  done
}

# ---------------------------------------------------------------- smoke test ----

# smoke NAME MODULE TOKEN PINFILE "KEYS" [URI-QUERY-EXTRA] — runs as the current user with the current env.
# KEYS: space-separated labels; the first is the one signed with in all five formats.
smoke() {
  local name=$1 module=$2 token=$3 pinfile=$4 keys=$5 extra=${6:-}
  local W=$BASE/run-$name; mkdir -p "$W"; cd "$W" || return 1
  [ -n "${SMOKE_OWNER:-}" ] && chown "$SMOKE_OWNER:$SMOKE_OWNER" "$W"
  local formats=${FORMATS:-notation,notation-cose,cosign,cosign-bundle,gpg}
  local vformats=() f
  for f in ${formats//,/ }; do [ "$f" = notation-cose ] || vformats+=(--format "$f"); done  # verify's notation covers JWS and COSE
  local key=${keys%% *}
  local uri="pkcs11:token=$token;object=$key?module-path=$module$extra"
  local log=$W/log
  step() { "$@" >>"$log" 2>&1 || { echo "step failed: $*" >>"$log"; return 1; }; }
  local initargs=()
  [ -n "${MODULE_INIT_ARGS:-}" ] && initargs=(--module-init-args "$MODULE_INIT_ARGS")
  # key list: every key label shows, ids readable
  "${CLI[@]}" key list --module "$module" "${initargs[@]}" --token "$(node -p 'decodeURIComponent(process.argv[1])' "$token")" --pin-file "$pinfile" --json > list.json 2>>"$log" || { echo "key list failed" >>"$log"; return 1; }
  "${CLI[@]}" key list --module "$module" "${initargs[@]}" --token "$(node -p 'decodeURIComponent(process.argv[1])' "$token")" --pin-file "$pinfile" >> "$log" 2>&1
  for k in $keys; do grep -q "\"label\": \"$k\"" list.json || { echo "key list lacks $k" >>"$log"; return 1; }; done
  # key export (public key objects need no PIN; the PIN file covers tokens that hide them)
  local k
  for k in $keys; do
    step "${CLI[@]}" key export "pkcs11:token=$token;object=$k?module-path=$module$extra" --pin-file "$pinfile" -o "pub-$k.pem" || return 1
  done
  # cert create --import: the certificate goes onto the token next to the key
  step "${CLI[@]}" cert create --key "$uri" --pin-file "$pinfile" --subject "C=US,O=airsign matrix,CN=$name" --days 2 --import --replace -o cert.pem || return 1
  sleep 1  # notBefore is now, in whole seconds
  # sign in all five formats, one login; the token's certificate is the chain
  cp "$ROOT/samples/single.tar" app.tar
  mkdir -p lookaside truststore/x509/ca/matrix
  own() { [ -z "${SMOKE_OWNER:-}" ] || chown -R "$SMOKE_OWNER:$SMOKE_OWNER" "$W"; }
  own
  step "${CLI[@]}" sign app.tar --key "$uri" --pin-file "$pinfile" --format "$formats" \
    --identity registry.example/matrix/app:1 --lookaside lookaside -o signed.tar --record rec.json || return 1
  # verify: Notation trust policy + store, cosign public key, GPG keyring + lookaside
  cp cert.pem truststore/x509/ca/matrix/
  printf '{"version":"1.0","trustPolicies":[{"name":"m","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:matrix"],"trustedIdentities":["*"]}]}\n' > trustpolicy.json
  local gpg=()
  if [[ ,$formats, == *,gpg,* ]]; then
    step "${CLI[@]}" key export "$uri" --pin-file "$pinfile" --as openpgp --user-id "matrix <matrix@example.invalid>" -o key.asc || return 1
    gpg=(--keyring key.asc --lookaside lookaside)
  fi
  step "${CLI[@]}" verify signed.tar --trust-policy trustpolicy.json --trust-store truststore --key "pub-$key.pem" \
    "${gpg[@]}" --identity registry.example/matrix/app:1 "${vformats[@]}" || return 1
  # one signature checked by openssl: sign a blob-like payload through the cosign path of the record
  step node "$ROOT/scripts/pkcs11-matrix-openssl-check.mjs" signed.tar "pub-$key.pem" || return 1
  # 8 parallel signs, 0 failures
  local i pids=() fails=0
  for i in 1 2 3 4 5 6 7 8; do
    cp "$ROOT/samples/single.tar" "p$i.tar"; own
    "${CLI[@]}" sign "p$i.tar" --key "$uri" --pin-file "$pinfile" --format notation --cert cert.pem > "p$i.log" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
  cat p*.log >> "$log"
  [ "$fails" -eq 0 ] || { echo "$fails of 8 parallel signs failed" >>"$log"; return 1; }
  # the other keys sign too (cosign format: ECDSA, RSA, Ed25519)
  for k in ${keys#"$key"}; do
    cp "$ROOT/samples/single.tar" "k-$k.tar"; own
    step "${CLI[@]}" sign "k-$k.tar" --key "pkcs11:token=$token;object=$k?module-path=$module$extra" --pin-file "$pinfile" \
      --format cosign --identity registry.example/matrix/app:1 || return 1
    step "${CLI[@]}" verify "k-$k.tar" --key "pub-$k.pem" --format cosign || return 1
  done
  return 0
}

run() {  # NAME SETUP-FUNCTION
  local name=$1 t0; t0=$(now)
  local reason
  if ! reason=$("$2" 2>&1); then
    RESULTS+=("$(printf '%-14s SKIP  %5ss  %s' "$name" "$(secs "$t0")" "${reason##*$'\n'}")")
    return
  fi
  RESULTS+=("$(printf '%-14s %s' "$name" "$reason")")
  [[ $reason == FAIL* ]] && { FAILED=$((FAILED + 1)); KEEP=1; }
}

outcome() {  # NAME T0 -- runs smoke with the rest; prints PASS/FAIL line body
  local name=$1 t0=$2; shift 2
  if smoke "$name" "$@"; then printf 'PASS  %5ss' "$(secs "$t0")"; else printf 'FAIL  %5ss  %s (log: %s)' "$(secs "$t0")" "$(tail -1 "$BASE/run-$name/log")" "$BASE/run-$name/log"; fi
}

# ---------------------------------------------------------------- modules ----

m_softhsm() {
  local t0; t0=$(now)
  softhsm_store "$BASE/softhsm"
  SOFTHSM2_CONF=$BASE/softhsm/softhsm2.conf outcome softhsm "$t0" "$SOFTHSM" airsign "$BASE/softhsm/pin" "ec-p256 ec-p384 rsa-3072 ed25519"
}

m_always_auth() {  # every key CKA_ALWAYS_AUTHENTICATE: a context login before each C_Sign
  local t0; t0=$(now)
  softhsm_store "$BASE/always" "" --always-auth
  SOFTHSM2_CONF=$BASE/always/softhsm2.conf outcome always-auth "$t0" "$SOFTHSM" airsign "$BASE/always/pin" "ec-p256 rsa-3072"
}

m_hash_and_sign() {  # RSA through CKM_SHA*_RSA_PKCS[_PSS] only (SoftHSM 2.6 has no CKM_ECDSA_SHA*)
  local t0; t0=$(now)
  softhsm_store "$BASE/hs"
  sed -i '/^slots.mechanisms/d' "$BASE/hs/softhsm2.conf"
  echo 'slots.mechanisms = CKM_SHA256_RSA_PKCS,CKM_SHA384_RSA_PKCS,CKM_SHA512_RSA_PKCS,CKM_SHA256_RSA_PKCS_PSS,CKM_SHA384_RSA_PKCS_PSS,CKM_SHA512_RSA_PKCS_PSS' >> "$BASE/hs/softhsm2.conf"
  # GPG signs a digest it computed: a hash-and-sign token cannot make it (the error says so); four formats here.
  SOFTHSM2_CONF=$BASE/hs/softhsm2.conf FORMATS=notation,notation-cose,cosign,cosign-bundle outcome hash-and-sign "$t0" "$SOFTHSM" airsign "$BASE/hs/pin" "rsa-3072"
}

m_p11kit_proxy() {
  [ -f "$LIB/p11-kit-proxy.so" ] || { echo "p11-kit-proxy.so not installed"; return 1; }
  local t0; t0=$(now)
  softhsm_store "$BASE/proxy"
  SOFTHSM2_CONF=$BASE/proxy/softhsm2.conf outcome p11kit-proxy "$t0" "$LIB/p11-kit-proxy.so" airsign "$BASE/proxy/pin" "ec-p256 ec-p384 rsa-3072 ed25519"
}

m_p11kit_client() {  # p11-kit-client.so -> unix socket -> p11-kit server -> SoftHSM
  [ -f "$LIB/pkcs11/p11-kit-client.so" ] || { echo "p11-kit-client.so not installed"; return 1; }
  local t0; t0=$(now)
  softhsm_store "$BASE/rpc"
  SOFTHSM2_CONF=$BASE/rpc/softhsm2.conf p11-kit server -s -n "$BASE/rpc/sock" --provider "$SOFTHSM" "pkcs11:token=airsign" > "$BASE/rpc/server.env" 2>"$BASE/rpc/server.err" || { echo "p11-kit server did not start"; return 1; }
  # shellcheck disable=SC1091
  . "$BASE/rpc/server.env"
  echo "$P11_KIT_SERVER_PID p11-kit-server" >> "$BASE/pids"
    # p11-kit 0.24's RPC does not carry CKM_EDDSA (not in its mechanism list): no Ed25519 through it.
  P11_KIT_SERVER_ADDRESS=$P11_KIT_SERVER_ADDRESS outcome p11kit-client "$t0" "$LIB/pkcs11/p11-kit-client.so" airsign "$BASE/rpc/pin" "ec-p256 ec-p384 rsa-3072"
}

nss_setup() {  # an NSS database with P-256, P-384, RSA-3072 (no Ed25519 in NSS 3.87), owned by nobody
  command -v certutil >/dev/null || { echo "certutil (libnss3-tools) not installed"; return 1; }
  [ -f "$LIB/libsoftokn3.so" ] || { echo "libsoftokn3.so not installed"; return 1; }
  [ "$(id -u)" -eq 0 ] || { echo "needs root (the keys are made as nobody through p11-kit)"; return 1; }
  [ -f "$D/db/key4.db" ] && return 0
  # The keys are made with pkcs11-tool through p11-kit-proxy and a user module config carrying NSS's
  # init string (x-init-reserved): pkcs11-tool cannot pass one. p11-kit reads user configs only for
  # users other than root, so that runs as nobody (65534) with its own HOME.
  local M=$D/home/.config/pkcs11/modules; mkdir -p "$D/db" "$M"
  printf 'module: %s\nx-init-reserved: %s\n' "$LIB/libsoftokn3.so" "$NSS_ARGS" > "$M/nss-softokn.module"
  local m; for m in tpm2_pkcs11 opensc-pkcs11 softhsm2; do printf 'module:\n' > "$M/$m.module"; done
  printf nss1234pw > "$D/pin"
  # nobody must be able to walk down to the database: the test suite's TMPDIR is a private (0700)
  # folder, so let others pass through it (execute only: nothing can be listed).
  chmod o+x "$(dirname "$BASE")"; chmod 711 "$BASE"; chown -R 65534:65534 "$D"
  $AS_NOBODY certutil -N -d "sql:$D/db" -f "$D/pin" || { echo "certutil -N failed"; return 1; }
  local k typ id label
  for k in EC:prime256v1,01,ec-p256 EC:secp384r1,02,ec-p384 rsa:3072,03,rsa-3072; do
    IFS=, read -r typ id label <<<"$k"
    $AS_NOBODY pkcs11-tool --module "$LIB/p11-kit-proxy.so" --token-label 'NSS Certificate DB' --login --pin nss1234pw \
      --keypairgen --key-type "$typ" --id "$id" --label "$label" --usage-sign >/dev/null 2>&1 || { echo "NSS keypairgen $typ failed"; return 1; }
  done
}

m_nss() {  # NSS softokn loaded directly: its configuration is C_Initialize's pReserved (module-init-args)
  local t0; t0=$(now)
  nss_setup >&2 || { echo "NSS setup failed"; return 1; }
  local enc; enc=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]).replace(/[!\x27()*]/g, (c) => "%" + c.charCodeAt(0).toString(16)))' "$NSS_ARGS")
  MODULE_INIT_ARGS=$NSS_ARGS outcome nss "$t0" "$LIB/libsoftokn3.so" "NSS%20Certificate%20DB" "$D/pin" "ec-p256 ec-p384 rsa-3072" "&module-init-args=$enc"
}

m_nss_p11kit() {  # NSS softokn through p11-kit-proxy (module config with x-init-reserved), as nobody
  local t0; t0=$(now)
  nss_setup >&2 || { echo "NSS setup failed"; return 1; }
  # shellcheck disable=SC2206
  CLI=($AS_NOBODY node "$ROOT/bin/airsign.js")  # this function runs in its own subshell
  SMOKE_OWNER=65534 outcome nss-p11kit "$t0" "$LIB/p11-kit-proxy.so" "NSS%20Certificate%20DB" "$D/pin" "ec-p256 ec-p384 rsa-3072"
}

m_opencryptoki() {  # IBM soft token (slot 3); pkcsslotd started by hand; state in /var/lib/opencryptoki
  [ -x /usr/sbin/pkcsslotd ] || { echo "opencryptoki not installed"; return 1; }
  [ "$(id -u)" -eq 0 ] || { echo "needs root (pkcsslotd, /var/lib/opencryptoki)"; return 1; }
  local t0; t0=$(now)
  local M=$LIB/pkcs11/libopencryptoki.so
  if ! pgrep -x pkcsslotd >/dev/null; then
    /usr/sbin/pkcsslotd >"$BASE/pkcsslotd.out" 2>&1 </dev/null || { echo "pkcsslotd did not start"; return 1; }
    sleep 0.3
    echo "$(cat /var/run/pkcsslotd.pid) pkcsslotd" >> "$BASE/pids"
  fi
  pkcs11-tool --module "$M" --slot 3 --init-token --so-pin 87654321 --label ock >/dev/null 2>&1 || { echo "opencryptoki: init-token on slot 3 failed"; return 1; }
  pkcs11-tool --module "$M" --slot 3 --login --login-type so --so-pin 87654321 --init-pin --pin 12345678 >/dev/null 2>&1 || { echo "opencryptoki: init-pin failed"; return 1; }
  printf 12345678 > "$BASE/ock.pin"
  # opencryptoki 3.x's soft token here offers no EC mechanisms: RSA only
  pkcs11-tool --module "$M" --token-label ock --login --pin 12345678 --keypairgen --key-type rsa:3072 --id 03 --label rsa-3072 --usage-sign >/dev/null 2>&1 || { echo "opencryptoki: keypairgen failed"; return 1; }
  outcome opencryptoki "$t0" "$M" ock "$BASE/ock.pin" "rsa-3072"
}

m_tpm2() {  # swtpm + private session bus + tpm2-abrmd; tpm2-pkcs11 store in the scratch folder
  command -v swtpm >/dev/null && command -v tpm2-abrmd >/dev/null && command -v tpm2_ptool >/dev/null || { echo "swtpm/tpm2-abrmd/tpm2_ptool not installed"; return 1; }
  local t0; t0=$(now)
  local D=$BASE/tpm; mkdir -p "$D/state" "$D/store"
  local port=$((20000 + RANDOM % 20000))
  swtpm socket --tpm2 --server type=tcp,port=$port --ctrl type=tcp,port=$((port + 1)) --tpmstate dir="$D/state" \
    --flags not-need-init,startup-clear --daemon --pid file="$D/swtpm.pid" >"$D/swtpm.out" 2>&1 </dev/null || { echo "swtpm did not start"; return 1; }
  echo "$(cat "$D/swtpm.pid") swtpm" >> "$BASE/pids"
  dbus-daemon --session --fork --address="unix:path=$D/bus" --print-pid=3 3>"$D/dbus.pid" >"$D/dbus.out" 2>&1 </dev/null || { echo "dbus-daemon did not start"; return 1; }
  echo "$(cat "$D/dbus.pid") dbus-daemon" >> "$BASE/pids"
  export DBUS_SESSION_BUS_ADDRESS=unix:path=$D/bus
  tpm2-abrmd --session --allow-root --flush-all --tcti="swtpm:host=127.0.0.1,port=$port" >"$D/abrmd.log" 2>&1 </dev/null &
  echo "$! tpm2-abrmd" >> "$BASE/pids"
  export TPM2TOOLS_TCTI=tabrmd:bus_type=session TPM2_PKCS11_TCTI=tabrmd:bus_type=session TPM2_PKCS11_STORE=$D/store
  local ok=0; for _ in $(seq 100); do tpm2_getrandom 4 >/dev/null 2>&1 && { ok=1; break; }; sleep 0.1; done
  [ $ok = 1 ] || { echo "tpm2-abrmd did not answer"; return 1; }
  tpm2_ptool init --path "$D/store" >/dev/null 2>&1 || { echo "tpm2_ptool init failed"; return 1; }
  tpm2_ptool addtoken --pid=1 --sopin=5678 --userpin=1234 --label=tpm --path "$D/store" >/dev/null 2>&1 || { echo "tpm2_ptool addtoken failed"; return 1; }
  printf 1234 > "$D/pin"
  local k alg id label
  for k in ecc256:01:ec-p256 ecc384:02:ec-p384 rsa3072:03:rsa-3072; do
    IFS=: read -r alg id label <<<"$k"
    tpm2_ptool addkey --algorithm=$alg --label=tpm --key-label=$label --id=$id --userpin=1234 --path "$D/store" >/dev/null 2>&1 || { echo "tpm2_ptool addkey $alg failed"; return 1; }
  done
  outcome tpm2 "$t0" "$LIB/pkcs11/libtpm2_pkcs11.so" tpm "$D/pin" "ec-p256 ec-p384 rsa-3072"
}

m_camlcrush() {  # Caml Crush filtering proxy (default filter) in front of SoftHSM, unix socket
  command -v pkcs11proxyd >/dev/null || { echo "caml-crush-server not installed"; return 1; }
  local client=$LIB/caml-crush/libp11clientunix.so   # the unix-socket client (tcp/tcpssl are the others)
  [ -f "$client" ] || client=
  [ -n "$client" ] || { echo "no Caml Crush client library found (caml-crush-clients)"; return 1; }
  local t0; t0=$(now)
  local D=$BASE/caml; softhsm_store "$D"
  python3 - "$D" "$SOFTHSM" <<'PY' || { echo "filter.conf"; return 1; }
import re, secrets, sys
d, module = sys.argv[1], sys.argv[2]
s = open('/etc/pkcs11proxyd/filter.conf').read()
s = s.replace('(*\nwrapping_format_key = "00112233445566778899aabbccddeeff"\n*)', 'wrapping_format_key = "%s"' % secrets.token_hex(16))
s = re.sub(r'^modules = .*$', 'modules = [("softhsm", "%s")]' % module, s, flags=re.M)
s = re.sub(r'^forbidden_mechanisms = .*$', 'forbidden_mechanisms = [("sof.*", [CKM_RSA_X_509])]', s, flags=re.M)
open(d + '/filter.conf', 'w').write(s)
PY
  cat > "$D/pkcs11proxyd.conf" <<EOF
netplex {
  controller { max_level = "info"; socket_directory = "$D/.netplex"; logging { type = "file"; file = "$D/netplex.log"; }; };
  service {
    name = "PKCS#11 Filtering Proxy"; conn_limit = 1;
    protocol { name = "rpc_pkcs11"; address { type = "local"; path = "$D/sock"; }; };
    processor { type = "rpc_pkcs11"; filter_config = "$D/filter.conf"; use_ssl = false; };
    workload_manager { type = "dynamic"; max_jobs_per_thread = 1; min_free_jobs_capacity = 1; max_free_jobs_capacity = 1; max_threads = 100; };
  }
}
EOF
  SOFTHSM2_CONF=$D/softhsm2.conf pkcs11proxyd -conf "$D/pkcs11proxyd.conf" -fg >"$D/server.out" 2>&1 </dev/null &
  echo "$! pkcs11proxyd" >> "$BASE/pids"
  for _ in $(seq 50); do [ -S "$D/sock" ] && break; sleep 0.1; done
  [ -S "$D/sock" ] || { echo "pkcs11proxyd did not open its socket"; return 1; }
  PKCS11PROXY_SOCKET_PATH=$D/sock PKCS11PROXY_LIBNAME=softhsm outcome camlcrush "$t0" "$client" airsign "$D/pin" "ec-p256 ec-p384 rsa-3072 ed25519"
}

ALL=(softhsm p11kit-proxy p11kit-client always-auth hash-and-sign nss nss-p11kit opencryptoki tpm2 camlcrush)
WANT=("$@"); [ ${#WANT[@]} -eq 0 ] && WANT=("${ALL[@]}")
for m in "${WANT[@]}"; do
  fn=m_${m//-/_}
  declare -F "$fn" >/dev/null || { echo "unknown module $m (known: ${ALL[*]})" >&2; exit 2; }
  run "$m" "$fn"
done
echo "PKCS#11 matrix ($(node -p "require('$ROOT/node_modules/koffi/package.json').version" 2>/dev/null | sed 's/^/koffi /')):"
printf '  %s\n' "${RESULTS[@]}"
[ $KEEP = 1 ] && echo "logs kept in $BASE"
[ "$FAILED" -eq 0 ]
