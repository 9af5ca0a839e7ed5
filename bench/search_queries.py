#!/usr/bin/env python3
"""Search latency: kho's GET /api/v1/catalog against SQLite FTS5 in-process.

Used by bench/search.sh (Python 3 standard library only; the sqlite3 module
must have FTS5). Draws varied queries from the vocabularies of
search_load.py and the words of the loaded documents, runs them one after
another over one kept-alive HTTP connection to kho (after a warm-up), then
the same queries against an FTS5 index of the same documents, and prints
p50/p95/p99/max for both, their ratio and a breakdown by query class.

    search_queries.py URL TOKEN DOCS.jsonl SQLITE.db [--queries 1000] [--warmup 100]
"""

import argparse
import collections
import http.client
import json
import os
import random
import re
import sqlite3
import sys
import time
import unicodedata
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import search_load as vocab  # noqa: E402

TARGET_P95_MS = 10.0
LIMIT = 24

# What kho indexes for each kind besides the metadata (core/catalog_doc.cpp).
KIND_NAMES = {"poster": "poster áp phích", "infographic": "infographic đồ họa thông tin",
              "video": "video", "podcast": "podcast", "document": "document tài liệu",
              "other": "other"}

NONSENSE = ["khủng long", "sao hỏa", "bitcoin", "xyzzy", "pokemon", "quidditch",
            "tàu ngầm hạt nhân", "kim cương xanh", "qwerty", "zzz"]


def fold(text):
    """kho's search folding, near enough: no diacritics, đ -> d, lower case."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text)
                   if unicodedata.category(c) != "Mn")
    return text.lower()


def d_to_ascii(text):
    # unicode61's remove_diacritics leaves đ alone (it has no decomposition);
    # kho folds it to d. Applied to the SQLite side's text and queries alike.
    return text.replace("đ", "d").replace("Đ", "D")


# ---------------------------------------------------------------- queries

def make_queries(docs, n, seed):
    """n queries as (class, q or None, filters dict)."""
    rng = random.Random(seed)
    freq = collections.Counter()
    for d in docs:
        freq.update(set(re.findall(r"[a-z0-9]+", fold(
            " ".join([d["title"], d["campaign"], d["description"], *d["tags"]])))))
    common = [w for w, _ in freq.most_common(60) if len(w) > 1]
    rare_words = [w for w, c in freq.items() if 1 <= c <= 50 and not w.isdigit()]
    rare_words.sort()

    def phrase():
        p = rng.choices(vocab.TOPICS, vocab.TOPIC_WEIGHTS)[0]
        r = rng.random()
        if r < 0.25:
            p += " " + rng.choice(vocab.PROVINCES)
        elif r < 0.4:
            p = rng.choice(vocab.KIND_LABELS[rng.choice(vocab.KINDS)]) + " " + p
        elif r < 0.55:
            words = p.split()
            p = " ".join(words[:max(1, min(len(words), rng.randint(1, 2)))])
        return p

    def unaccented():
        return fold(phrase())

    def accented():
        return phrase()

    def prefix():
        p = phrase() if rng.random() < 0.5 else fold(phrase())
        words = p.split()
        last = words[-1]
        cut = rng.randint(1, max(1, len(last) - 1)) if len(last) > 1 else 1
        return " ".join(words[:-1] + [last[:cut]])

    def single():
        return rng.choice(common)

    def rare():
        r = rng.random()
        d = rng.choice(docs)
        num = re.search(r"số (\d+)$", d["title"]).group(1)
        if r < 0.4:
            return f"số {num}"
        if r < 0.6:
            return f"{fold(d['title'].split()[0])} {num}"
        if rare_words:
            return rng.choice(rare_words)
        return num

    def no_results():
        r = rng.random()
        if r < 0.4:
            return rng.choice(NONSENSE)
        if r < 0.8:
            return phrase() + " " + rng.choice(NONSENSE)
        return fold(phrase()) + " 7" + str(rng.randrange(100000, 999999))

    def filtered():
        q = rng.choice([unaccented, accented, prefix, single])()
        f = {}
        r = rng.random()
        if r < 0.7:
            f["kind"] = rng.choice(vocab.KINDS)
        elif r < 0.9:
            f["campaign"] = rng.choice(vocab.CAMPAIGNS)
        else:
            f["kind"] = rng.choice(vocab.KINDS)
            f["campaign"] = rng.choice(vocab.CAMPAIGNS)
        return q, f

    classes = [("unaccented", 20, unaccented), ("accented", 15, accented),
               ("prefix", 20, prefix), ("single word", 10, single), ("rare", 10, rare),
               ("filtered", 15, filtered), ("no results", 10, no_results)]
    weights = [w for _, w, _ in classes]
    out = []
    for _ in range(n):
        name, _, fn = rng.choices(classes, weights)[0]
        r = fn()
        q, f = r if isinstance(r, tuple) else (r, {})
        out.append((name, q, f))
    return out


def browse_queries(n, seed):
    """No q at all: the catalog's first page, newest first (sometimes one kind)."""
    rng = random.Random(seed + 1)
    return [("browse (no q)", None, {"kind": rng.choice(vocab.KINDS)} if rng.random() < 0.3 else {})
            for _ in range(n)]


# ---------------------------------------------------------------- kho

def run_kho(url, token, queries):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    headers = {"Authorization": "Bearer " + token}
    times, totals = [], []
    for _, q, f in queries:
        params = ([("q", q)] if q is not None else []) + list(f.items()) + [("limit", LIMIT)]
        path = "/api/v1/catalog?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        t1 = time.perf_counter()
        if r.status != 200:
            sys.exit(f"search_queries.py: GET {path}: HTTP {r.status}: {body[:300]!r}")
        totals.append(json.loads(body)["total"])
        times.append((t1 - t0) * 1000)
    conn.close()
    return times, totals


# ---------------------------------------------------------------- SQLite

def build_sqlite(path, docs):
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.executescript("""
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE VIRTUAL TABLE docs USING fts5(
            title, tags, campaign, description, kindnames,
            tokenize = "unicode61 remove_diacritics 2");
        CREATE TABLE meta(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, campaign TEXT NOT NULL);
        CREATE TABLE doc_tags(id INTEGER NOT NULL, tag TEXT NOT NULL);
    """)
    with db:
        db.executemany("INSERT INTO docs(rowid, title, tags, campaign, description, kindnames) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       ((d["i"] + 1, d_to_ascii(d["title"]), d_to_ascii(" , ".join(d["tags"])),
                         d_to_ascii(d["campaign"]), d_to_ascii(d["description"]),
                         d_to_ascii(KIND_NAMES[d["kind"]])) for d in docs))
        db.executemany("INSERT INTO meta VALUES (?, ?, ?)",
                       ((d["i"] + 1, d["kind"], d["campaign"]) for d in docs))
        db.executemany("INSERT INTO doc_tags VALUES (?, ?)",
                       ((d["i"] + 1, t) for d in docs for t in d["tags"]))
    db.executescript("""
        CREATE INDEX doc_tags_id ON doc_tags(id);
        CREATE INDEX meta_kind ON meta(kind);
        INSERT INTO docs(docs) VALUES ('optimize');
        ANALYZE;
    """)
    return db


def fts_expr(q):
    """Every word must match, the last one also as a prefix (as kho does)."""
    words = re.findall(r"\w+", d_to_ascii(q))
    if not words:
        return None
    return " ".join(f'"{w}"' for w in words[:-1]) + (" " if len(words) > 1 else "") + \
        f'"{words[-1]}"*'


class sqlite_search:
    """The work of one kho response: a page by relevance, the total and the
    kind, campaign and tag facets, each facet ignoring its own filter."""

    def __init__(self, db):
        self.db = db

    def where(self, expr, f, skip):
        conds, args = [], []
        if expr is not None:
            conds.append("docs MATCH ?")
            args.append(expr)
        if "kind" in f and skip != "kind":
            conds.append("m.kind = ?")
            args.append(f["kind"])
        if "campaign" in f and skip != "campaign":
            conds.append("m.campaign = ?")
            args.append(f["campaign"])
        return (" WHERE " + " AND ".join(conds)) if conds else "", args

    def source(self, expr):
        if expr is None:
            return "meta m"
        return "docs JOIN meta m ON m.id = docs.rowid"

    def page(self, q, f):
        expr = fts_expr(q) if q is not None else None
        w, args = self.where(expr, f, None)
        order = "bm25(docs, 8.0, 4.0, 3.0, 1.0, 2.0), docs.rowid DESC" if expr else "m.id DESC"
        rowid = "docs.rowid" if expr else "m.id"
        return self.db.execute(f"SELECT {rowid} FROM {self.source(expr)}{w} ORDER BY {order} "
                               f"LIMIT {LIMIT}", args).fetchall()

    def full(self, q, f):
        expr = fts_expr(q) if q is not None else None
        src = self.source(expr)
        page = self.page(q, f)
        w, args = self.where(expr, f, "kind")
        kinds = self.db.execute(f"SELECT m.kind, count(*) FROM {src}{w} GROUP BY m.kind "
                                "ORDER BY 2 DESC", args).fetchall()
        total = sum(c for k, c in kinds if "kind" not in f or k == f["kind"])
        w, args = self.where(expr, f, "campaign")
        w += (" AND" if w else " WHERE") + " m.campaign != ''"
        campaigns = self.db.execute(f"SELECT m.campaign, count(*) FROM {src}{w} "
                                    "GROUP BY m.campaign ORDER BY 2 DESC LIMIT 50", args).fetchall()
        w, args = self.where(expr, f, None)
        tags = self.db.execute(f"SELECT t.tag, count(*) FROM {src} JOIN doc_tags t ON t.id = m.id"
                               f"{w} GROUP BY t.tag ORDER BY 2 DESC LIMIT 50", args).fetchall()
        return total, page, kinds, campaigns, tags


def run_sqlite(search, queries, full):
    times, totals = [], []
    for _, q, f in queries:
        t0 = time.perf_counter()
        if full:
            total = search.full(q, f)[0]
        else:
            search.page(q, f)
            total = None
        times.append((time.perf_counter() - t0) * 1000)
        totals.append(total)
    return times, totals


# ---------------------------------------------------------------- report

def pct(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def summary(times):
    return {"p50": pct(times, 50), "p95": pct(times, 95), "p99": pct(times, 99),
            "max": max(times), "mean": sum(times) / len(times)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("docs")
    ap.add_argument("sqlite_db")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--browse", type=int, default=50)
    ap.add_argument("--seed", type=int, default=2018)
    args = ap.parse_args()

    with open(args.docs, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    all_q = make_queries(docs, args.warmup + args.queries, args.seed)
    warm, measured = all_q[:args.warmup], all_q[args.warmup:]
    browse = browse_queries(args.browse, args.seed)

    print(f"kho: {args.warmup} warm-up queries, then {len(measured)} measured ...", file=sys.stderr)
    run_kho(args.url, args.token, warm)
    kho_t, kho_n = run_kho(args.url, args.token, measured)
    kho_bt, kho_bn = run_kho(args.url, args.token, browse) if browse else ([], [])

    print("SQLite FTS5: building the index ...", file=sys.stderr)
    t0 = time.perf_counter()
    db = build_sqlite(args.sqlite_db, docs)
    build_s = time.perf_counter() - t0
    s = sqlite_search(db)
    run_sqlite(s, warm, True)
    sq_t, sq_n = run_sqlite(s, measured, True)
    run_sqlite(s, warm, False)
    sp_t, _ = run_sqlite(s, measured, False)
    sq_bt, sq_bn = run_sqlite(s, browse, True) if browse else ([], [])

    k, sq, sp = summary(kho_t), summary(sq_t), summary(sp_t)
    agree = sum(1 for a, b in zip(kho_n, sq_n) if a == b)
    verdict = "PASS" if k["p95"] <= TARGET_P95_MS else "FAIL"
    print(f"  {len(docs)} assets, {len(measured)} queries (after {len(warm)} warm-up), "
          f"limit={LIMIT}, one connection, sequential; ms")
    print(f"  {'':44} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  mean hits")
    print(f"  {'kho GET /api/v1/catalog (HTTP + JSON)':44} {k['p50']:7.2f} {k['p95']:7.2f} "
          f"{k['p99']:7.2f} {k['max']:7.2f}  {sum(kho_n) / len(kho_n):9.0f}")
    print(f"  {'SQLite FTS5 page + total + 3 facets':44} {sq['p50']:7.2f} {sq['p95']:7.2f} "
          f"{sq['p99']:7.2f} {sq['max']:7.2f}  {sum(sq_n) / len(sq_n):9.0f}")
    print(f"  {'SQLite FTS5 page only (LIMIT 24)':44} {sp['p50']:7.2f} {sp['p95']:7.2f} "
          f"{sp['p99']:7.2f} {sp['max']:7.2f}")
    print(f"  ratio kho/SQLite (page+total+facets): p50 {k['p50'] / sq['p50']:.2f}x, "
          f"p95 {k['p95'] / sq['p95']:.2f}x;  kho/SQLite (page only): p50 "
          f"{k['p50'] / sp['p50']:.2f}x, p95 {k['p95'] / sp['p95']:.2f}x")
    print(f"  kho p95 {k['p95']:.2f} ms: {verdict} (target <= {TARGET_P95_MS:g} ms); "
          f"kho's times include HTTP and JSON, SQLite's are in-process")
    print(f"  totals agree on {agree}/{len(measured)} queries; SQLite index built in "
          f"{build_s:.2f} s")
    print("  by class (ms):            n   kho p50   p95    SQLite p50   p95   mean hits")
    rows = collections.OrderedDict()
    for i, (cls, _, _) in enumerate(measured):
        rows.setdefault(cls, []).append(i)
    for cls, idx in sorted(rows.items(), key=lambda r: -pct([kho_t[i] for i in r[1]], 95)):
        kt = [kho_t[i] for i in idx]
        st = [sq_t[i] for i in idx]
        hits = sum(kho_n[i] for i in idx) / len(idx)
        print(f"    {cls:20} {len(idx):5}  {pct(kt, 50):8.2f} {pct(kt, 95):6.2f}   "
              f"{pct(st, 50):10.2f} {pct(st, 95):6.2f}  {hits:9.0f}")
    if browse:
        print(f"    {'browse (no q), extra':20} {len(browse):5}  {pct(kho_bt, 50):8.2f} "
              f"{pct(kho_bt, 95):6.2f}   {pct(sq_bt, 50):10.2f} {pct(sq_bt, 95):6.2f}  "
              f"{sum(kho_bn) / len(kho_bn):9.0f}")
    slow = sorted(range(len(measured)), key=lambda i: -kho_t[i])[:5]
    print("  slowest kho queries: " + "; ".join(
        f"{kho_t[i]:.1f} ms {measured[i][1]!r}{' ' + str(measured[i][2]) if measured[i][2] else ''}"
        f" ({kho_n[i]} hits)" for i in slow))
    if os.environ.get("SEARCH_BENCH_DUMP"):
        with open(os.environ["SEARCH_BENCH_DUMP"], "w", encoding="utf-8") as f:
            for i, (cls, q, fl) in enumerate(measured):
                f.write(json.dumps({"class": cls, "q": q, "filters": fl, "kho_ms": kho_t[i],
                                    "kho_total": kho_n[i], "sqlite_ms": sq_t[i],
                                    "sqlite_total": sq_n[i]}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
