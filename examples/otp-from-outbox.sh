#!/bin/sh
# Prints the code from the newest email that a sandbox portal "sent" to EMAIL.
#
#   sh examples/otp-from-outbox.sh DATA_DIR EMAIL [PURPOSE]
#
# DATA_DIR is the sandbox's data directory (its outbox is DATA_DIR/outbox/*.eml). PURPOSE picks
# the kind of email by its file name: login-passcode (the default), verify-email or
# password-reset. Exits 1 with a message on stderr when no such email exists.
#
# It is what an unattended job gives provportal as its second factor:
#   provportal login --email jane@clinic.example --password-file ~/.pw \
#     --otp-command "sh examples/otp-from-outbox.sh $HOME/.local/share/provportal-sandbox jane@clinic.example"
#
# POSIX sh, grep, sed, sort and tr only.

usage() {
  echo "usage: otp-from-outbox.sh DATA_DIR EMAIL [login-passcode|verify-email|password-reset]" >&2
  exit 2
}

[ $# -ge 2 ] && [ $# -le 3 ] || usage
data_dir=$1
email=$2
purpose=${3:-login-passcode}
[ -n "$email" ] && [ -n "$purpose" ] || usage

outbox=$data_dir/outbox
if [ ! -d "$outbox" ]; then
  echo "otp-from-outbox: no outbox at $outbox (is $data_dir a sandbox data directory?)" >&2
  exit 1
fi

# File names start with the UTC time they were written (nanoseconds) and a sequence number, so
# the byte order of the names is the order the emails were sent: newest first with sort -r.
# Names are the sandbox's own (no spaces or newlines).
names=$(ls -1 "$outbox" 2>/dev/null | grep -F -e "$purpose" | grep '\.eml$' | LC_ALL=C sort -r)

for name in $names; do
  file=$outbox/$name
  [ -f "$file" ] || continue
  # Headers end at the first empty line; lines end with CRLF. Addresses compare case-insensitively.
  if tr -d '\r' < "$file" | sed '/^$/q' | grep -qixF "To: $email"; then
    # The code is the run of digits that ends the line naming it:
    #   "Your one-time passcode is: 123456", "... with this code: 12345678", "Your reset code is: 12345678"
    code=$(tr -d '\r' < "$file" | sed -n 's/^.*[Cc]ode[^:]*: *\([0-9][0-9]*\) *$/\1/p' | sed -n 1p)
    if [ -n "$code" ]; then
      printf '%s\n' "$code"
      exit 0
    fi
    echo "otp-from-outbox: $file has no code in it" >&2
    exit 1
  fi
done

echo "otp-from-outbox: no $purpose email to $email in $outbox" >&2
exit 1
