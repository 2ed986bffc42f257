#!/usr/bin/env bash
# Put every script the website needs into .vendor/static (git-ignored), so that no page loads
# anything from a CDN, and the browser test's axe-core into .vendor/axe. Every package comes from
# npm (`npm pack`, pinned, SHA-256 checked):
#   plotly-cartesian.min.js  plotly.js's partial bundle with the trace types the book draws
#                            (scatter, bar, contour, heatmap, image), the version plotly.py writes for
#   mathjax/                 MathJax 3's CHTML fonts (woff-v2), which the typeset pages link to
#   ../mathjax-full/js/      MathJax 3 for node (not served): _ext/gsbook_math.py typesets every
#                            page's math at build time with it, so no page loads MathJax
#   html-manager/            the standalone ipywidgets embedder, no require.js
#   vendor/fontawesome/      the theme's Font Awesome webfonts cut to the glyphs our pages show
#                            (scripts/subset_icons.py; the site drops the theme's 1.5 MB fontawesome.js)
# Usage: scripts/fetch_assets.sh [PYTHON]   (run by `make assets`; versions are pinned here)
set -euo pipefail
PYTHON=${1:-.venv/bin/python}
dest=.vendor/static
# name@version  sha256 of the npm tarball
PACKAGES="
plotly.js-cartesian-dist-min@4.1.1 c5f9a84666b97e571a04de689e09319869e60900e265c89eac2f71d0b5a0de88
mathjax-full@3.2.2 d8f080d2e4bdfb75284aac34d5eff155002eca47798b1d4e4bde31453e653f87
@jupyter-widgets/html-manager@1.0.15 2b9d65cb7913e1c7d671757a10008b32c9c2448d4429513371e55c07d6107638
axe-core@4.10.2 9ea2d2d6917da998122bdacfd3b473e31ead53f4b87146c716a12edf89158100
"
# The icons pydata-sphinx-theme and sphinx-book-theme put on our pages (<i class="fa-NAME">).
SOLID_ICONS="angle-left angle-right arrow-up bars circle-half-stroke download expand file file-pdf
list magnifying-glass moon outdent rocket sun xmark"
BRAND_ICONS="github"

plotly_py=$("$PYTHON" -c 'import plotly.offline as o; print(o.get_plotlyjs_version())')
[ "$plotly_py" = 4.1.1 ] || { echo "plotly.py writes for plotly.js $plotly_py; update the pin here" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$PACKAGES" | while read -r spec sum; do
  [ -n "$spec" ] || continue
  dir="$tmp/$(echo "${spec%@*}" | tr '@/' '__')"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent --loglevel=error "$spec" >/dev/null)
  echo "$sum  $(ls "$dir"/*.tgz)" | sha256sum --check --quiet
  tar -xzf "$dir"/*.tgz -C "$dir"
done

rm -rf "$dest" .vendor/axe .vendor/mathjax-full
mkdir -p "$dest/mathjax/output/chtml/fonts" "$dest/html-manager" .vendor/axe .vendor/mathjax-full
cp "$tmp/plotly.js-cartesian-dist-min/package/plotly-cartesian.min.js" "$dest/"
# MathJax: its node modules (TeX base + AMS to CHTML, hidden MathML) for the build, and the fonts
# that the typeset pages' stylesheets name, for the browser.
mj="$tmp/mathjax-full/package"
cp -r "$mj/js" "$mj/LICENSE" .vendor/mathjax-full/
cp -r "$mj/es5/output/chtml/fonts/woff-v2" "$dest/mathjax/output/chtml/fonts/"
hm="$tmp/_jupyter-widgets_html-manager/package"
cp "$hm/LICENSE" "$dest/html-manager/" 2>/dev/null || true
find "$hm/dist" -maxdepth 1 -type f ! -name '*.map' ! -name '*-amd.js' -exec cp {} "$dest/html-manager/" \;
cp "$tmp/axe-core/package/axe.min.js" .vendor/axe/
"$PYTHON" scripts/subset_icons.py "$dest/vendor/fontawesome/webfonts" --solid $SOLID_ICONS --brands $BRAND_ICONS
touch "$dest/.complete"
echo "site assets in $dest: $(du -sh "$dest" | cut -f1); axe-core in .vendor/axe"
