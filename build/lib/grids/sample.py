"""Synthetic housing rolls for the demo and the benchmarks: valid identity numbers, co-owners,
multi-unit buyers, developer units, parking spaces — everything the import has to handle.

The output is a roll file in the import's own format, so the demo and `make bench` exercise the
real import code rather than writing rows behind its back.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from grids.idcard import CHECK_CHARACTERS, WEIGHTS
from grids.roll_file import COLUMNS

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "秀英桂英建华丽娟志强伟明敏静军勇杰娜涛艳平刚桂兰玉兰淑珍国强海燕红梅文华永刚春梅金凤晓东德明"
REGIONS = ("330106", "330102", "310104", "110105", "440305", "320102")


def id_number(rng: random.Random, used: set[str] | None = None) -> str:
    """A valid 18-character resident identity number (GB 11643 check digit) for a fake person,
    distinct from those in `used` (a real roll never gives two people one number)."""
    while True:
        number = _id_number(rng)
        if used is None or number not in used:
            if used is not None:
                used.add(number)
            return number


def _id_number(rng: random.Random) -> str:
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 60))
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + CHECK_CHARACTERS[total % 11]


def person_name(rng: random.Random) -> str:
    given = GIVEN[rng.randrange(0, len(GIVEN) - 1) :][: rng.choice((1, 2))]
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(0, 10**9):09d}"


def roll_rows(
    n_units: int,
    *,
    seed: int = 1,
    floors: int = 18,
    per_floor: int = 4,
    entrances: int = 2,
    unsold_share: float = 0.02,
    co_owned_share: float = 0.35,
    multi_unit_share: float = 0.05,
    parking: int = 0,
    with_mobile_share: float = 0.8,
) -> list[tuple[str, ...]]:
    """Rows of a roll file (one row per owner) for `n_units` homes plus `parking` spaces."""
    rng = random.Random(seed)
    rows: list[tuple[str, ...]] = []
    buyers: list[list[tuple[str, str, str]]] = []  # recent owner sets, to give some several units
    used: set[str] = set()
    per_building = floors * per_floor * entrances
    for i in range(n_units):
        building = str(i // per_building + 1)
        within = i % per_building
        entrance = str(within // (floors * per_floor) + 1)
        floor = (within % (floors * per_floor)) // per_floor + 1
        number = f"{floor}{within % per_floor + 1:02d}"
        area = f"{rng.choice((59, 72, 89, 96, 108, 120, 135, 143)) + rng.randrange(0, 100) / 100:.2f}"
        source = rng.choice(("登记", "登记", "登记", "实测", "合同"))
        unit = (building, entrance, number, "住宅", area, source)
        if rng.random() < unsold_share:
            rows.append((*unit, "未售", "", "", ""))
            continue
        if buyers and rng.random() < multi_unit_share:
            owners = rng.choice(buyers)
        else:
            owners = [
                (
                    person_name(rng),
                    mobile(rng) if rng.random() < with_mobile_share else "",
                    id_number(rng, used),
                )
            ]
            if rng.random() < co_owned_share:
                owners.append((person_name(rng), "", id_number(rng, used)))
            buyers.append(owners)
            if len(buyers) > 50:
                buyers.pop(0)
        for name, phone, idn in owners:
            rows.append((*unit, "已交付", name, phone, idn))
    for p in range(parking):
        rows.append(("车库", "", f"P{p + 1:03d}", "车位", "12.50", "登记", "未售", "", "", ""))
    return rows


def roll_csv(rows: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
