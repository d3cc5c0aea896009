#!/usr/bin/env bash
# Ready to publish, and nothing is published. For every package that may be published (each
# workspace member without `publish = false`):
#   1. its LICENSE-MIT and LICENSE-APACHE are copies of the root ones (cargo ships only files
#      from the package's own directory, so each crate keeps a copy);
#   2. `cargo package` builds its tarball and verifies it: the tarball alone, unpacked, must
#      build. The packages are packaged in one command, so their dependencies on each other
#      resolve to the tarballs just made (a local overlay), not to crates.io;
#   3. its documentation builds as docs.rs builds it (nightly, `--cfg docsrs`, the features and
#      target of its `[package.metadata.docs.rs]`), if a nightly toolchain is installed.
# Extra arguments go to `cargo package` (e.g. `--allow-dirty` on a work tree with changes).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# One line per publishable package: name;version;directory;the docs.rs build's cargo flags;
# its RUSTDOCFLAGS. (`publish = false` reads as `"publish": []` in cargo metadata.)
metadata=$(cargo metadata --no-deps --format-version 1)
target=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' <<<"$metadata")
# shellcheck disable=SC2016 # the program is Python, single-quoted on purpose
packages=$(python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
members = set(meta["workspace_members"])
for p in meta["packages"]:
    if p["id"] not in members or p["publish"] == []:
        continue
    d = (((p.get("metadata") or {}).get("docs") or {}).get("rs")) or {}  # [package.metadata.docs.rs]
    flags = []
    if d.get("all-features"):
        flags.append("--all-features")
    if d.get("no-default-features"):
        flags.append("--no-default-features")
    if d.get("features"):
        flags.append("--features=" + ",".join(d["features"]))
    # docs.rs builds the first of `targets` as the default target.
    if d.get("default-target") or d.get("targets"):
        flags.append("--target=" + (d.get("default-target") or d["targets"][0]))
    # docs.rs passes `--cfg docsrs` to rustdoc whatever the metadata says.
    rustdoc = d.get("rustdoc-args", [])
    if "docsrs" not in rustdoc:
        rustdoc = ["--cfg", "docsrs"] + rustdoc
    rustdoc = " ".join(rustdoc)
    fields = [p["name"], p["version"], os.path.dirname(p["manifest_path"]), " ".join(flags), rustdoc]
    assert not any(";" in f for f in fields), fields
    print(";".join(fields))
' <<<"$metadata")
[ -n "$packages" ] || { echo "no publishable package found" >&2; exit 1; }
names=$(cut -d';' -f1 <<<"$packages")
echo "publishable packages: $(tr '\n' ' ' <<<"$names")"

echo "--- license files: copies of the root ones"
bad=0
while IFS=';' read -r _ _ dir _ _; do
  for f in LICENSE-MIT LICENSE-APACHE; do
    if ! cmp -s "$root/$f" "$dir/$f"; then
      echo "error: ${dir#"$root"/}/$f is missing or differs from the root $f (cp $f ${dir#"$root"/}/)" >&2
      bad=1
    fi
  done
done <<<"$packages"
[ "$bad" = 0 ] || exit 1
echo "every publishable package ships LICENSE-MIT and LICENSE-APACHE identical to the root ones"

echo "--- cargo package (each tarball is unpacked and built from itself)"
# cargo verifies against the tarballs it has just made through a local registry, extracted
# under $CARGO_HOME/registry/src/-<hash>/; an extraction left by an earlier run of the same
# version would be reused as it is (stale sources). Ours go first.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
while IFS=';' read -r name version _ _ _; do
  rm -rf "$cargo_home"/registry/src/-*/"$name-$version"
done <<<"$packages"
# The tests stay in the repository (see each `include`), so cargo names every test target it
# drops; those expected lines are counted, not printed. Every other line is shown.
args=()
for n in $names; do args+=(-p "$n"); done
cargo package "${args[@]}" "$@" 2>&1 | awk '
  /^warning: ignoring test `.*` as `tests\/.*` is not included in the published package$/ { dropped++; next }
  { print }
  END { if (dropped) print "(" dropped " test targets left out of the tarballs, as intended: tests/ is not shipped)" }'
while IFS=';' read -r name version _ _ _; do
  crate="$target/package/$name-$version.crate"
  printf '%-22s %3s files  %7s bytes  %s\n' "$name" "$(tar -tzf "$crate" | grep -vc '/$')" \
    "$(stat -c %s "$crate")" "${crate#"$root"/}"
done <<<"$packages"

echo "--- docs.rs-style documentation (nightly, --cfg docsrs)"
if ! cargo +nightly --version >/dev/null 2>&1 \
  && ! rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
  echo "SKIPPED: docs.rs-style documentation not built: no nightly toolchain, and it could not be installed"
  exit 0
fi
# docs.rs runs nightly rustdoc and does not deny warnings: a new nightly lint must not fail
# this check (the stable docs step denies warnings). Its own target directory keeps the
# stable builds' artifacts untouched.
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
while IFS=';' read -r name _ _ flags rustdoc; do
  want=$(grep -o -- '--target=[^ ]*' <<<"$flags" | cut -d= -f2 || true)
  if [ -n "$want" ] && [ "$want" != "$host" ] \
    && ! rustup target list --installed --toolchain nightly 2>/dev/null | grep -qx "$want"; then
    echo "SKIPPED: $name's docs.rs-style documentation not built: nightly has no $want target"
    continue
  fi
  echo "$name: RUSTDOCFLAGS=\"$rustdoc\" cargo +nightly doc --no-deps $flags"
  # shellcheck disable=SC2086 # $flags is a list of flags
  env -u RUSTFLAGS RUSTDOCFLAGS="$rustdoc" \
    cargo +nightly doc -p "$name" --no-deps $flags --target-dir "$target/docsrs" </dev/null
done <<<"$packages"
