#!/usr/bin/env bash
# Put every script the website needs into .vendor/static (git-ignored), so that no page loads
# anything from a CDN, and the browser test's axe-core into .vendor/axe. Every package comes from
# npm (`npm pack`, pinned, SHA-256 checked):
#   plotly-cartesian.min.js  plotly.js's partial bundle with the trace types the book draws
#                            (scatter, bar, contour, heatmap, image), the version plotly.py writes for
#   mathjax/                 MathJax 3's components for TeX (base + AMS) to CHTML, and its fonts
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
mathjax@3.2.2 1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09
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

rm -rf "$dest" .vendor/axe
mkdir -p "$dest/mathjax/output/chtml/fonts" "$dest/mathjax/input/tex/extensions" "$dest/mathjax/a11y" \
  "$dest/html-manager" .vendor/axe
cp "$tmp/plotly.js-cartesian-dist-min/package/plotly-cartesian.min.js" "$dest/"
# MathJax as separate components (0.75 MB), loaded by startup.js as _config.yml's mathjax3_config
# lists them: TeX input with the base and AMS packages only, CHTML output, hidden MathML for screen
# readers, lazy typesetting (only what comes into view). The all-in-one tex-chtml.js (1.2 MB) adds the menu and autoloaded packages we never use.
mj="$tmp/mathjax/package/es5"
cp "$mj/startup.js" "$mj/core.js" "$dest/mathjax/"
cp "$mj/input/tex-base.js" "$dest/mathjax/input/"
cp "$mj/input/tex/extensions/ams.js" "$dest/mathjax/input/tex/extensions/"
cp "$mj/output/chtml.js" "$dest/mathjax/output/"
cp "$mj/output/chtml/fonts/tex.js" "$dest/mathjax/output/chtml/fonts/"
cp -r "$mj/output/chtml/fonts/woff-v2" "$dest/mathjax/output/chtml/fonts/"
cp "$mj/a11y/assistive-mml.js" "$dest/mathjax/a11y/"
mkdir -p "$dest/mathjax/ui" && cp "$mj/ui/lazy.js" "$dest/mathjax/ui/"  # typeset math as it comes into view
hm="$tmp/_jupyter-widgets_html-manager/package"
cp "$hm/LICENSE" "$dest/html-manager/" 2>/dev/null || true
find "$hm/dist" -maxdepth 1 -type f ! -name '*.map' ! -name '*-amd.js' -exec cp {} "$dest/html-manager/" \;
cp "$tmp/axe-core/package/axe.min.js" .vendor/axe/
"$PYTHON" scripts/subset_icons.py "$dest/vendor/fontawesome/webfonts" --solid $SOLID_ICONS --brands $BRAND_ICONS
touch "$dest/.complete"
echo "site assets in $dest: $(du -sh "$dest" | cut -f1); axe-core in .vendor/axe"
