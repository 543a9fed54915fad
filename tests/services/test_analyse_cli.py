"""`lagesbild analyse` from the outside, as a GIS analyst in London would run it: a store set up
in British National Grid, crimes imported from a file in the file's own CRS, hot spots written
as GeoJSON, CSV and JSON by the extension."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
from pyproj import Transformer


def lb(*args, db):
    env = {**os.environ, "LAGESBILD_DB": db}
    r = subprocess.run(
        [sys.executable, "-m", "lagesbild", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr + r.stdout
    return r.stdout


def test_hotspots_in_a_london_store_from_a_file_in_its_own_crs(tmp_path):
    db = f"sqlite:///{tmp_path / 'london.sqlite'}"
    lb(
        "init",
        "--crs",
        "EPSG:27700",
        "--region",
        "-1,51,1,52",
        "--timezone",
        "Europe/London",
        db=db,
    )
    rng = np.random.default_rng(11)
    # a cluster at Leicester Square and a thin background, given in EPSG:3857 (a web map's CRS)
    to_3857 = Transformer.from_crs("EPSG:27700", "EPSG:3857", always_xy=True)
    x = np.r_[rng.normal(529_900, 40, 150), rng.uniform(529_000, 531_000, 150)]
    y = np.r_[rng.normal(180_700, 40, 150), rng.uniform(180_000, 181_500, 150)]
    mx, my = to_3857.transform(x, y)
    path = tmp_path / "crimes.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "occurred_at", "category", "x", "y"])
        for i in range(len(x)):
            w.writerow([f"met-{i}", "2023-06-01 22:00", "theft", f"{mx[i]:.3f}", f"{my[i]:.3f}"])
    out = lb("import", "crimes", str(path), "--crs", "EPSG:3857", db=db)
    assert "300" in out
    gj = tmp_path / "hot.geojson"
    lb(
        "analyse",
        "hotspots",
        "--from",
        "2023-01-01",
        "--to",
        "2023-12-31",
        "--cell",
        "100",
        "--method",
        "gistar",
        "--out",
        str(gj),
        db=db,
    )
    feats = json.loads(gj.read_text())["features"]
    props = [f["properties"] for f in feats]
    assert sum(p["count"] for p in props) == 300
    # cells aligned to multiples of 100 m in British National Grid
    assert all(
        ((p["x"] - 50) / 100).is_integer() and ((p["y"] - 50) / 100).is_integer() for p in props
    )
    hottest = max(props, key=lambda p: p["z"])
    assert abs(hottest["x"] - 529_900) <= 150 and abs(hottest["y"] - 180_700) <= 150
    assert hottest["class"] == "hot_99"
    lon, lat = feats[0]["geometry"]["coordinates"][0][0]  # polygons back in WGS84
    assert -0.2 < lon < 0.0 and 51.4 < lat < 51.6
    kde = tmp_path / "kde.csv"
    lb(
        "analyse",
        "hotspots",
        "--from",
        "2023",
        "--to",
        "2023",
        "--cell",
        "100",
        "--method",
        "kde",
        "--bandwidth",
        "200",
        "--out",
        str(kde),
        db=db,
    )
    rows = list(csv.DictReader(kde.open()))
    assert {"x", "y", "count", "density"} <= set(rows[0])
    summary = tmp_path / "hot.json"
    lb(
        "analyse",
        "hotspots",
        "--from",
        "2023",
        "--to",
        "2023",
        "--cell",
        "100",
        "--out",
        str(summary),
        db=db,
    )
    assert json.loads(summary.read_text())["summary"]["points"] == 300
