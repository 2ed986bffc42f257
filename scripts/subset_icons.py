"""Cut the theme's Font Awesome webfonts down to the glyphs our pages show (run by fetch_assets.sh).

pydata-sphinx-theme ships Font Awesome twice: fontawesome.js (1.5 MB, which the site no longer
loads, see _templates/static/webpack-macros.html) and webfonts (solid 156 KB, brands 118 KB) that
its CSS uses for <i class="fa-NAME"> and for its ::before/::after icons (--pst-icon-*: admonitions,
breadcrumbs, external links). This keeps, in each font, only those glyphs: the named icons and
every --pst-icon-* glyph. The subsets are written where the theme's fonts are served
(_static/vendor/fontawesome/webfonts/), which html_static_path overrides.

    python scripts/subset_icons.py OUT_DIR --solid bars list ... --brands github
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pydata_sphinx_theme
from fontTools import subset

STATIC = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
FONTS = STATIC / "vendor" / "fontawesome" / "webfonts"


def codepoints(css: str, names: list[str]) -> set[int]:
    found = set()
    for name in names:
        match = re.search(r"\.fa-" + re.escape(name) + r':before[^{]*\{content:"\\([0-9a-f]+)"', css)
        if match is None:
            sys.exit(f"subset_icons: fa-{name} is not in the theme's CSS; check the icon names")
        found.add(int(match.group(1), 16))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--solid", nargs="+", required=True)
    parser.add_argument("--brands", nargs="+", required=True)
    args = parser.parse_args(argv)
    css = (STATIC / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf8")
    css_icons = {ord(c) if len(c) == 1 else int(c[1:], 16)  # a literal glyph or "\\f0f3"
                 for c in re.findall(r'--pst-[a-z-]+:"(\\[0-9a-f]+|[\ue000-\uf8ff])"', css)}
    args.out.mkdir(parents=True, exist_ok=True)
    for font, wanted in (("fa-solid-900", codepoints(css, args.solid) | css_icons),
                         ("fa-regular-400", css_icons),
                         ("fa-brands-400", codepoints(css, args.brands) | css_icons)):
        options = subset.Options()
        options.flavor, options.layout_features, options.ignore_missing_unicodes = "woff2", [], True
        face = subset.load_font(str(FONTS / f"{font}.woff2"), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(face)
        subset.save_font(face, str(args.out / f"{font}.woff2"), options)
        print(f"{font}.woff2: {(args.out / f'{font}.woff2').stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
