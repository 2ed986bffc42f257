"""Lighthouse 12.2.3 on every chapter page of the built site, desktop and mobile: the README's table.

Serves ``_build/html`` on 127.0.0.1, gzipped as a static host would, and runs Lighthouse (npm,
pinned, installed into ``.vendor/lighthouse`` on first use) with Debian's Chromium on each page of
the book (the landing page and every ``chapters/*.md``). Prints a Markdown table (performance
score, largest contentful paint, total bytes transferred, and Lighthouse's CPU benchmark index of
each run: on a shared machine a low index explains a low score) and writes it, with every report, under
``_build/lighthouse/``. Goals (issue 8): desktop >= 90 and LCP <= 2.5 s; mobile >= 60.

    python benchmarks/lighthouse.py [--pages book/04_toy_task.html ...]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
OUT = ROOT / "_build" / "lighthouse"
LIGHTHOUSE = "lighthouse@12.2.3"
PREFIX = ROOT / ".vendor" / "lighthouse"
CLI = PREFIX / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME = "/usr/bin/chromium"
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu"
GZIP_TYPES = (".html", ".js", ".css", ".svg", ".json", ".txt", ".map")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-encoded (level 6, as nginx and most hosts) when the client accepts it."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix not in GZIP_TYPES or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        self.wfile.write(body)
        return None


def chapter_pages() -> list[str]:
    return [f"book/{p.stem}.html" for p in sorted((ROOT / "chapters").glob("*.md"))]


def ensure_lighthouse() -> None:
    if not CLI.is_file():
        PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(PREFIX), "--no-audit", "--no-fund",
                        "--loglevel=error", LIGHTHOUSE], check=True)


def run(url: str, form: str, report: Path) -> dict:
    args = ["node", str(CLI), url, "--quiet", "--only-categories=performance", "--output=json",
            f"--output-path={report}", f"--chrome-flags={CHROME_FLAGS}"]
    if form == "desktop":
        args.append("--preset=desktop")
    subprocess.run(args, check=True, env={**os.environ, "CHROME_PATH": CHROME}, timeout=300)
    lhr = json.loads(report.read_text())
    audits = lhr["audits"]
    return {"score": round(100 * (lhr["categories"]["performance"]["score"] or 0)),
            "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
            "bytes": audits["total-byte-weight"]["numericValue"],
            "cpu": round(lhr["environment"]["benchmarkIndex"])}  # lower: a busier machine


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", nargs="*", help="pages under _build/html (default: every chapter)")
    args = parser.parse_args(argv)
    if not SITE.is_dir():
        print(f"no built site at {SITE}: build it first (make site)", file=sys.stderr)
        return 2
    pages = args.pages or chapter_pages()
    missing = [p for p in pages if not (SITE / p).is_file()]
    if missing:
        print(f"no such page(s) in {SITE}: {', '.join(missing)}", file=sys.stderr)
        return 2
    ensure_lighthouse()
    OUT.mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    lines = ["| Page | Desktop perf. | Desktop LCP | Mobile perf. | Mobile LCP | Transferred (gzip) "
             "| CPU index (desktop / mobile run) |", "|---|---|---|---|---|---|---|"]
    try:
        for page in pages:
            res = {form: run(f"{base}/{page}", form, OUT / f"{Path(page).stem}-{form}.json")
                   for form in ("desktop", "mobile")}
            d, m = res["desktop"], res["mobile"]
            lines.append(f"| {Path(page).stem} | {d['score']} | {d['lcp_s']:.1f} s | {m['score']} | "
                         f"{m['lcp_s']:.1f} s | {d['bytes'] / 1e6:.2f} MB | {d['cpu']} / {m['cpu']} |")
            print(lines[-1], flush=True)
    finally:
        server.shutdown()
    table = "\n".join(lines) + "\n"
    (OUT / "table.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
