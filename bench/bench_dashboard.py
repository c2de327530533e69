"""What the dashboards cost (issue 18): the dashboard stage after publish (dbt docs, then every page built
from the published snapshot) and the time each page takes to be ready in headless Chromium (every chart
drawn: the page sets ``data-ready`` when vega-embed has rendered), at the default scale after 30 days.

    .venv/bin/python bench/bench_dashboard.py [--keep] [--repeat 3]

Reuses bench_growth's history (``--keep``: the one built by an earlier run). Prints medians against
the targets (build <= 30 s, a page ready <= 2 s) and writes bench/out/dashboard.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_growth  # noqa: E402

TARGETS = {"build_s": 30.0, "page_ready_s": 2.0}


def page_ready_times(site: Path, repeat: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from opswh.cli.dashboard import serve
    from opswh.dashboard.browser import launch
    from opswh.dashboard.pages import load_pages

    server = serve(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    times: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = launch(p, Path(tempfile.mkdtemp(prefix="opswh-bench-chromium-")))
        for _ in range(repeat):
            for page in load_pages():
                tab = browser.new_page()
                t = time.perf_counter()
                tab.goto(f"http://127.0.0.1:{server.server_address[1]}/{page.file_name}")
                tab.wait_for_selector("body[data-ready=true]", state="attached", timeout=60_000)
                times.setdefault(page.slug, []).append(time.perf_counter() - t)
                tab.close()
        browser.close()
    server.shutdown()
    return {slug: round(statistics.median(ts), 2) for slug, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "opswh_bench_growth")
    args = parser.parse_args()
    bench_growth.KEEP = args.keep
    from opswh.pipeline import build_dashboard

    print(f"history: {args.days} days at scale {args.scale}, then one daily run published")
    paths, day = bench_growth.history(args.work, f"one_{args.days}", args.days, args.scale)
    print("  daily run:", bench_growth.stage_times(paths, day, "bench_dashboard"))
    builds = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        built = build_dashboard(paths)
        builds.append({"build_s": time.perf_counter() - t, "dbt_docs_s": built["dbt_docs"]["seconds"]})
    sizes = {p.name: p.stat().st_size for p in paths.dashboard.glob("*.html")}
    result = {
        "history_days": args.days,
        "scale": args.scale,
        "build_s": round(statistics.median(b["build_s"] for b in builds), 2),
        "dbt_docs_s": round(statistics.median(b["dbt_docs_s"] for b in builds), 2),
        "page_ready_s": page_ready_times(paths.dashboard, args.repeat),
        "page_bytes": sizes,
    }
    slowest = max(result["page_ready_s"].values())
    print(
        f"dashboard stage (dbt docs + {len(sizes)} pages): {result['build_s']} s (dbt docs {result['dbt_docs_s']} s)"
        f"  target <= {TARGETS['build_s']} s: {'met' if result['build_s'] <= TARGETS['build_s'] else 'NOT met'}"
    )
    print(f"page ready in Chromium (median of {args.repeat}): {result['page_ready_s']}")
    print(
        f"  slowest {slowest} s  target <= {TARGETS['page_ready_s']} s: "
        f"{'met' if slowest <= TARGETS['page_ready_s'] else 'NOT met'}"
    )
    print(f"page sizes (bytes): {sizes}")
    bench_growth.OUT.mkdir(exist_ok=True)
    (bench_growth.OUT / "dashboard.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
