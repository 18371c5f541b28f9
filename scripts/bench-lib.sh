# Shared by the bench scripts (source it after `cd` to the repo root and setting BENCH_NAME):
# tool checks, the scratch folder, the build, wall-time medians, the deterministic big sample, and a
# SoftHSM token holding a P-256 signing key with a Notation-valid certificate chain.

# bench_require TOOL...: exit 2 naming the first tool that is missing
bench_require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$BENCH_NAME: $tool not found (scripts/install-test-deps.sh installs the peers)" >&2; exit 2; }
  done
}

# bench_work DIR NAME: WORK=DIR/NAME, empty, removed on exit; DIR made absolute
bench_work() {
  mkdir -p "$1"
  DIR=$(cd "$1" && pwd)
  WORK="$DIR/$2"
  rm -rf "$WORK"
  mkdir -p "$WORK"
  trap 'rm -rf "$WORK"' EXIT
}

# bench_build: build dist/ and set AIRSIGN to the command that runs it
bench_build() {
  echo "$BENCH_NAME: building dist/" >&2
  npm run --silent build >&2 # modules and the bundle bin/airsign.js runs
  AIRSIGN=(node "$(pwd)/bin/airsign.js")
}

# wall COMMAND...: print its wall time in seconds (output to $WORK/last.log); fail loudly
wall() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$WORK/last.log" 2>&1 || { echo "$BENCH_NAME: failed: $*" >&2; cat "$WORK/last.log" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

# median: of the numbers on stdin, one per line
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f\n", m}'; }

# bench_sample SIZE: print the path of the deterministic buildx-shaped sample of that size in $DIR
# (four layers over two platforms, tag big), making it only when missing or made by another version
# of scripts/make-samples.mjs
bench_sample() {
  local sample="$DIR/sample-$1-4x2.tar" stamp
  stamp="$(sha256sum scripts/make-samples.mjs | cut -c1-16) $1 4x2"
  if [ ! -f "$sample" ] || [ "$(cat "$sample.done" 2>/dev/null)" != "$stamp" ]; then
    echo "$BENCH_NAME: generating $sample" >&2
    rm -f "$sample" "$sample.done"
    node scripts/make-samples.mjs --size "$1" --layers 4 --platforms 2 --output "$sample" --tag big >&2
    echo "$stamp" > "$sample.done"
  fi
  echo "$sample"
}

# bench_softhsm_signer: a SoftHSM token "bench" in $WORK with a P-256 key "signer"; sets
# SOFTHSM_MODULE, SOFTHSM2_CONF and KEY_URI; writes in $WORK root.pem and root.key, a P-256 file key
# file.key with its request leaf.csr and leaf.ext, and hsm-chain.pem (a leaf for the token's key,
# then the root: what Notation accepts)
bench_softhsm_signer() {
  SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so
  [ -f "$SOFTHSM_MODULE" ] || SOFTHSM_MODULE=/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so
  export SOFTHSM2_CONF="$WORK/softhsm2.conf"
  mkdir -p "$WORK/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > "$SOFTHSM2_CONF"
  softhsm2-util --init-token --free --label bench --so-pin 5678 --pin 1234 >/dev/null
  pkcs11-tool --module "$SOFTHSM_MODULE" --token-label bench --login --pin 1234 --keypairgen --key-type EC:prime256v1 --id 01 --label signer --usage-sign >/dev/null 2>&1
  GNUTLS_PIN=1234 p11tool --provider "$SOFTHSM_MODULE" --login --export-pubkey "pkcs11:token=bench;object=signer;type=public" > "$WORK/signer.pub" 2>/dev/null
  (
    cd "$WORK"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key 2>/dev/null
    openssl req -x509 -new -key root.key -subj "/C=US/ST=WA/O=bench/CN=bench root" -days 30 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -out root.pem 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out file.key 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' > leaf.ext
    openssl req -new -key file.key -subj "/C=US/ST=WA/O=bench/CN=bench signer" -out leaf.csr 2>/dev/null
    openssl x509 -req -in leaf.csr -force_pubkey signer.pub -CA root.pem -CAkey root.key -CAcreateserial -days 30 -extfile leaf.ext -out hsm-leaf.pem 2>/dev/null
    cat hsm-leaf.pem root.pem > hsm-chain.pem
  )
  KEY_URI="pkcs11:token=bench;object=signer?module-path=$SOFTHSM_MODULE&pin-value=1234"
}
