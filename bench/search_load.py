#!/usr/bin/env python3
"""Generates N catalog assets with Vietnamese metadata and uploads them to kho.

Used by bench/search.sh (Python 3 standard library only). Every asset is a
small text/plain body (unique per asset, so no deduplication) created with
POST /api/v1/assets?title=...&kind=...&campaign=...&tag=...&description=...
over several kept-alive connections in parallel. The same documents are
written to a JSON-lines file for the SQLite FTS5 reference.

    search_load.py URL TOKEN N OUT.jsonl [--connections 8] [--seed 71]

The vocabularies below are shared with search_queries.py, which draws its
queries from them. Generation is deterministic for a given seed and N.
"""

import argparse
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse

# kind -> what a title starts with
KIND_LABELS = {
    "poster": ["Áp phích", "Poster", "Tranh cổ động"],
    "infographic": ["Infographic", "Đồ họa thông tin"],
    "video": ["Video", "Phóng sự", "Clip"],
    "podcast": ["Podcast", "Bản tin âm thanh"],
    "document": ["Tài liệu", "Hướng dẫn", "Công văn", "Sổ tay"],
}
KINDS = list(KIND_LABELS)
KIND_WEIGHTS = [30, 20, 20, 10, 20]

# Topics, most frequent first (drawn with Zipf-like weights, so the tail is rare).
TOPICS = [
    "an toàn giao thông",
    "Nghị quyết 71",
    "phòng chống đuối nước",
    "chuyển đổi số",
    "kỹ năng sống",
    "Ngày Nhà giáo Việt Nam",
    "tuyển sinh lớp 10",
    "bạo lực học đường",
    "phòng cháy chữa cháy",
    "vệ sinh an toàn thực phẩm",
    "giáo dục hướng nghiệp",
    "sức khỏe học đường",
    "phòng chống ma túy",
    "an toàn trên không gian mạng",
    "khai giảng năm học mới",
    "thi tốt nghiệp THPT",
    "bảo vệ môi trường",
    "giáo dục STEM",
    "học tập suốt đời",
    "dinh dưỡng học đường",
    "phòng chống dịch bệnh",
    "văn hóa đọc",
    "giáo dục giới tính",
    "tiếng Anh tăng cường",
    "chương trình giáo dục phổ thông 2018",
    "sách giáo khoa mới",
    "thể dục thể thao",
    "biến đổi khí hậu",
    "phòng chống xâm hại trẻ em",
    "trí tuệ nhân tạo trong trường học",
    "sơ cứu tai nạn thương tích",
    "giữ gìn bản sắc dân tộc",
    "học bổng cho học sinh nghèo vượt khó",
    "chăm sóc sức khỏe tâm thần",
    "ứng dụng robot và lập trình Scratch",
    "trại hè khoa học",
    "lễ tri ân và trưởng thành",
    "phòng tránh sạt lở đất",
]
TOPIC_WEIGHTS = [1.0 / (i + 1) ** 0.9 for i in range(len(TOPICS))]

AUDIENCES = [
    "cho học sinh tiểu học",
    "cho học sinh THCS",
    "trường THPT",
    "cho giáo viên mầm non",
    "dành cho phụ huynh",
    "cho cán bộ quản lý giáo dục",
    "cho sinh viên sư phạm",
    "",
]

PROVINCES = [
    "Hà Nội", "Hồ Chí Minh", "Huế", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Đắk Lắk", "Lào Cai",
    "Điện Biên", "Sơn La", "Nghệ An", "Thanh Hóa", "Quảng Ninh", "Quảng Ngãi", "Khánh Hòa",
    "Lâm Đồng", "Gia Lai", "An Giang", "Cà Mau", "Đồng Tháp", "Vĩnh Long", "Tây Ninh",
    "Lạng Sơn", "Cao Bằng", "Tuyên Quang", "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên",
    "Ninh Bình", "Hà Tĩnh", "Quảng Trị", "Lai Châu", "Đồng Nai",
]

CAMPAIGNS = [
    "Nghị quyết 71", "An toàn giao thông 2025", "Năm học mới 2025-2026",
    "Ngày Nhà giáo Việt Nam 20/11", "Tuyển sinh 2025", "Chuyển đổi số giáo dục",
    "Phòng chống đuối nước hè 2025", "Tháng hành động vì trẻ em", "Ngày hội đọc sách",
    "Trường học hạnh phúc", "Thi tốt nghiệp THPT 2025", "Học tập suốt đời",
    "Tuần lễ hướng nghiệp", "Phòng chống bạo lực học đường", "Sức khỏe học đường",
    "Giáo dục STEM", "Ngày Quốc tế Phụ nữ 8/3", "Kỷ niệm 80 năm ngành Giáo dục",
    "Xóa mù chữ vùng cao", "Tết an toàn",
]

TAGS = [
    "học sinh", "giáo viên", "phụ huynh", "tiểu học", "THCS", "THPT", "mầm non", "đại học",
    "an toàn", "giao thông", "sức khỏe", "kỹ năng", "chuyển đổi số", "STEM", "tuyển sinh",
    "thi cử", "hướng nghiệp", "môi trường", "thể thao", "văn hóa", "đọc sách", "tiếng Anh",
    "tin học", "đuối nước", "phòng cháy", "dinh dưỡng", "tâm lý", "bạo lực học đường",
    "ma túy", "dịch bệnh", "khí hậu", "dân tộc thiểu số", "vùng cao", "nông thôn",
    "đô thị", "học bổng", "khen thưởng", "sự kiện", "hội thảo", "tập huấn", "truyền thông",
    "báo chí", "mạng xã hội", "in ấn", "phát thanh", "truyền hình", "ngày lễ", "Tết",
    "khai giảng", "bế giảng",
]
TAG_WEIGHTS = [1.0 / (i + 1) ** 0.7 for i in range(len(TAGS))]

DESCRIPTION_OPENINGS = [
    "Tài liệu truyền thông về {topic} {audience}, do Bộ Giáo dục và Đào tạo phát hành.",
    "Sản phẩm phục vụ chiến dịch {campaign} tại {province}.",
    "Nội dung hướng dẫn {topic} {audience}, dùng trong giờ sinh hoạt lớp.",
    "Ấn phẩm được các sở giáo dục sử dụng để tuyên truyền về {topic}.",
    "Phiên bản cập nhật năm {year}, thiết kế lại theo góp ý của các trường.",
]
DESCRIPTION_CLOSINGS = [
    "",
    " Có thể in khổ A3 và đăng trên trang thông tin điện tử của nhà trường.",
    " Được phép sử dụng lại với điều kiện ghi rõ nguồn.",
    " Phù hợp cho buổi chào cờ đầu tuần và các hoạt động ngoại khóa.",
    " Nội dung đã được hội đồng chuyên môn thẩm định.",
]


def make_doc(i, rng):
    """The metadata of asset i: a dict with kind, title, campaign, tags, description."""
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    topic = rng.choices(TOPICS, TOPIC_WEIGHTS)[0]
    audience = rng.choice(AUDIENCES)
    province = rng.choice(PROVINCES)
    year = rng.choice([2023, 2024, 2025, 2026])
    number = rng.randrange(1, 100000)  # about one asset per number: rare words
    parts = [rng.choice(KIND_LABELS[kind]), topic]
    if audience:
        parts.append(audience)
    if rng.random() < 0.6:
        parts.append(province)
    parts.append(f"năm {year} số {number}")
    campaign = rng.choice(CAMPAIGNS) if rng.random() < 0.85 else ""
    tags = []
    for t in rng.choices(TAGS, TAG_WEIGHTS, k=rng.randint(1, 4)):
        if t not in tags:
            tags.append(t)
    description = rng.choice(DESCRIPTION_OPENINGS).format(
        topic=topic, audience=audience, campaign=campaign or "Năm học mới",
        province=province, year=year) + rng.choice(DESCRIPTION_CLOSINGS)
    return {"i": i, "kind": kind, "title": " ".join(parts), "campaign": campaign,
            "tags": tags, "description": " ".join(description.split())}


def generate(n, seed):
    rng = random.Random(seed)
    return [make_doc(i, rng) for i in range(n)]


def upload_path(doc):
    q = [("title", doc["title"]), ("kind", doc["kind"]), ("description", doc["description"]),
         ("filename", f"asset-{doc['i']}.txt")]
    if doc["campaign"]:
        q.append(("campaign", doc["campaign"]))
    q += [("tag", t) for t in doc["tags"]]
    return "/api/v1/assets?" + urllib.parse.urlencode(q, quote_via=urllib.parse.quote)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--seed", type=int, default=71)
    args = ap.parse_args()

    docs = generate(args.n, args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")

    u = urllib.parse.urlsplit(args.url)
    lock = threading.Lock()
    state = {"next": 0, "done": 0, "errors": []}

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        while True:
            with lock:
                i = state["next"]
                if i >= len(docs) or state["errors"]:
                    break
                state["next"] = i + 1
            d = docs[i]
            body = f"kho search bench asset {i}\n{d['title']}\n".encode()
            conn.request("POST", upload_path(d), body=body, headers={
                "Authorization": "Bearer " + args.token, "Content-Type": "text/plain"})
            r = conn.getresponse()
            data = r.read()
            if r.status != 201:
                with lock:
                    state["errors"].append(f"asset {i}: HTTP {r.status}: {data[:300]!r}")
                break
            with lock:
                state["done"] += 1
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for t in threads:
        t.start()
    last = t0
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)
        if time.perf_counter() - last >= 15:
            last = time.perf_counter()
            print(f"  loaded {state['done']}/{len(docs)} ...", file=sys.stderr)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if state["errors"]:
        sys.exit("search_load.py: " + state["errors"][0])
    # One line for search.sh: count, seconds, rate.
    print(f"{state['done']} {elapsed:.2f} {state['done'] / elapsed:.0f}")


if __name__ == "__main__":
    main()
