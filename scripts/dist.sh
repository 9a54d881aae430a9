#!/usr/bin/env bash
# `make dist`: the exercise's deliverable, an archive a grader unpacks and starts with `make up`.
#
#   DIST_FORMAT          tar.gz   tar.gz or zip
#   DIST_DIR             .artifacts/dist   where mlopsexam.<format> is written
#   BASIC_AUTH_USER      admin    the grader's credentials the archive is made for
#   BASIC_AUTH_PASSWORD  admin    (the exercise's template uses admin/admin)
#   TLS_HOSTNAMES        localhost  names of the certificate, as for the gateway
#
# In it, under mlopsexam/: the committed tree (`git archive HEAD`: nothing untracked or ignored,
# so never this machine's .env, .secrets/, certificate, bin/, obj/ or .artifacts/), plus three
# files made here, in a temporary folder, for the archive alone:
#   deployments/nginx/certs/nginx.crt, nginx.key  a self-signed pair under the template's names,
#       made as the gateway makes its own at first start (it keeps a pair it finds there)
#   deployments/nginx/.htpasswd  the credentials, stored as the gateway stores a weak password
#       (SHA-512 crypt, AUTH-THREAT-MODEL.md); the gateway writes its own copy at start from
#       the same credentials
#   dist.env  those credentials, which `make up` (scripts/generate-env.sh) copies to .env when
#       there is none: the unpacked stack starts with them and no other step
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "dist: $*" >&2; exit 1; }

format=${DIST_FORMAT:-tar.gz}
case $format in tar.gz | zip) ;; *) die "DIST_FORMAT must be tar.gz or zip, got '$format'" ;; esac
out_dir=${DIST_DIR:-.artifacts/dist}
user=${BASIC_AUTH_USER:-admin}
password=${BASIC_AUTH_PASSWORD:-admin}
# The gateway's rule for the user; the password goes unquoted into dist.env, which compose and
# scripts/credentials.sh (`. ./.env`) read, so no blanks, quotes, `$`, `#` or backslashes.
case $user in '' | *:* | *[[:space:]]*) die "BASIC_AUTH_USER must be non-empty, without ':' or spaces" ;; esac
case $password in '' | *[!A-Za-z0-9._~@%+=:,/!^-]*) die "BASIC_AUTH_PASSWORD must be non-empty and use only letters, digits and ._~@%+=:,/!^-" ;; esac
command -v openssl >/dev/null || die "openssl is needed (apt-get install openssl)"

commit=$(git rev-parse --verify --short HEAD) || die "no commit to archive"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "dist: warning: uncommitted changes are not in the archive (it is made from HEAD, $commit)" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mlopsexam-dist.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/certs"

# The certificate, with the parameters of the gateway's own
# (deployments/nginx/docker-entrypoint.d/20-tls-certificate.sh, which needs the image's paths):
# EC P-256, 365 days, CN = the first name, the names plus 127.0.0.1 and ::1 as subject
# alternative names, its own CA, so clients trust nginx.crt directly (curl --cacert).
san=""
cn=""
for name in $(printf '%s\n' "${TLS_HOSTNAMES:-localhost}" | tr ', \t' '\n\n\n' | sed '/^$/d') 127.0.0.1 ::1; do
  case $name in *:* | *[!0-9.]*) kind=DNS ;; *) kind=IP ;; esac
  case $name in *:*) kind=IP ;; esac
  case ",$san," in *",$kind:$name,"*) continue ;; esac
  san="${san:+$san,}$kind:$name"
  [ -n "$cn" ] || cn=$name
done
openssl req -x509 -new -nodes -sha256 -days 365 \
  -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -subj "/CN=$cn" -addext "subjectAltName=$san" -addext "extendedKeyUsage=serverAuth" \
  -keyout "$work/certs/nginx.key" -out "$work/certs/nginx.crt" 2>/dev/null \
  || die "openssl could not make the certificate"
# 0644 in the archive, like every file: a grader who unpacks without root cannot give the key to
# the gateway's uid 10101, which must read it. It is a throwaway key for localhost that whoever
# holds the archive has anyway; `make up` as root hands the folder to uid 10101.

# SHA-512 crypt ($6$, 5,000 rounds), what the gateway makes of a weak password; the password goes
# through stdin (printf is a builtin), never a command line.
hash=$(printf '%s\n' "$password" | openssl passwd -6 -stdin) || die "openssl passwd failed"
printf '%s:%s\n' "$user" "$hash" > "$work/.htpasswd"

cat > "$work/dist.env" <<ENV
# Written by \`make dist\` (scripts/dist.sh) from commit $commit: the basic-auth credentials this
# archive was made for (deployments/nginx/.htpasswd holds the same, hashed). \`make up\` copies this
# file to .env when there is none (scripts/generate-env.sh), so the stack starts with them.
BASIC_AUTH_USER=$user
BASIC_AUTH_PASSWORD=$password
ENV

mkdir -p "$out_dir"
archive="$out_dir/mlopsexam.$format"
# --add-file puts a file under the last --prefix before it; the rightmost --prefix is the tree's.
# tar.umask=022: files 0644, executables 0755 (git's default, 002, would make them group-writable).
git -c tar.umask=022 archive --format="$format" \
  --prefix=mlopsexam/deployments/nginx/certs/ --add-file="$work/certs/nginx.crt" --add-file="$work/certs/nginx.key" \
  --prefix=mlopsexam/deployments/nginx/ --add-file="$work/.htpasswd" \
  --prefix=mlopsexam/ --add-file="$work/dist.env" \
  -o "$archive.tmp" HEAD
mv -f "$archive.tmp" "$archive"

if [ "$format" = zip ]; then entries=$(unzip -Z1 "$archive"); else entries=$(tar -tzf "$archive"); fi
size=$(stat -c %s "$archive")
until=$(openssl x509 -noout -enddate -in "$work/certs/nginx.crt" | sed 's/^notAfter=//')
echo "make dist: $(realpath "$archive")"
echo "  size:         $(numfmt --to=iec-i --suffix=B "$size") ($size bytes), $(grep -vc '/$' <<<"$entries") files, commit $commit"
echo "  credentials:  $user / $password  (deployments/nginx/.htpasswd: SHA-512 crypt; dist.env: read by make up)"
echo "  certificate:  self-signed for $san, until $until"
echo "  the exercise's files in it (under mlopsexam/):"
grep -E '^mlopsexam/(Makefile|docker-compose\.yml|dist\.env|(.*/)?Dockerfile|deployments/nginx/(nginx\.conf|\.htpasswd|certs/nginx\.(crt|key))|MlopsExam\.Api/.*\.(cs|csproj)|models/[^/]+)$' <<<"$entries" \
  | sed 's#^mlopsexam/#    #' | LC_ALL=C sort
echo "  then: unpack, cd mlopsexam, make up, and run the exercise's run_tests.sh from there; make down"
