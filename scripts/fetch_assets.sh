#!/usr/bin/env bash
# Put every script the website needs into .vendor/static (git-ignored), so that no page loads
# anything from a CDN:
#   plotly.min.js       copied from the installed plotly package (the version that wrote the figures)
#   mathjax/            one self-contained MathJax 3 component (npm: mathjax)
#   html-manager/       the standalone ipywidgets embedder, no require.js (npm: @jupyter-widgets/html-manager)
# Usage: scripts/fetch_assets.sh [PYTHON]   (run by `make assets`; versions are pinned here)
set -euo pipefail
PYTHON=${1:-.venv/bin/python}
MATHJAX=mathjax@3.2.2
HTML_MANAGER=@jupyter-widgets/html-manager@1.0.15
dest=.vendor/static

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$dest"
mkdir -p "$dest/mathjax" "$dest/html-manager"

plotly_js=$("$PYTHON" -c 'import pathlib, plotly; print(pathlib.Path(plotly.__file__).parent / "package_data" / "plotly.min.js")')
cp "$plotly_js" "$dest/plotly.min.js"

for spec in "$MATHJAX" "$HTML_MANAGER"; do
  dir="$tmp/$(echo "$spec" | tr '@/' '__')"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent --loglevel=error "$spec" >/dev/null)
  tar -xzf "$dir"/*.tgz -C "$dir"
done
cp "$tmp/mathjax_3.2.2/package/es5/tex-svg-full.js" "$dest/mathjax/"
cp "$tmp/_jupyter-widgets_html-manager_1.0.15/package/LICENSE" "$dest/html-manager/" 2>/dev/null || true
find "$tmp/_jupyter-widgets_html-manager_1.0.15/package/dist" -maxdepth 1 -type f ! -name '*.map' \
  ! -name '*-amd.js' -exec cp {} "$dest/html-manager/" \;
touch "$dest/.complete"
echo "site assets in $dest: $(du -sh "$dest" | cut -f1)"
