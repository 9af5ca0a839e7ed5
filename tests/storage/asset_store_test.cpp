#include "storage/asset_store.hpp"
#include "core/sha256.hpp"
#include "storage/blob_store.hpp"
#include "storage/database.hpp"
#include "storage/audit_log.hpp"
#include "storage/job_queue.hpp"
#include "storage/token_store.hpp"

// Only for the schema-version test, which has to write the marker directly.
#include "storage/rocks.hpp"

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using kho::asset;
using kho::asset_kind;
using kho::asset_metadata;
using kho::asset_metadata_patch;
using kho::asset_version;
using kho::errc;
using kho::ulid;
using kho::storage::asset_filter;
using kho::storage::asset_page;
using kho::storage::asset_store;
using kho::storage::blob_info;
using kho::storage::blob_writer;
using kho::storage::database;
using kho::storage::local_blob_store;
using kho::storage::token_store;

namespace {

using kho::test::temp_dir;

// 2025-11-26T05:02:12.000Z
constexpr kho::unix_ms k_start = 1764133332000;
const std::string k_campaign_71 = "Nghị quyết 71-NQ/TW";
const std::string k_campaign_2011 = "Ngày Nhà giáo Việt Nam 20/11";

struct staged {
    blob_writer writer;
    blob_info info;
};

asset_metadata meta(std::string title, std::vector<std::string> tags = {},
                    asset_kind kind = asset_kind::poster, std::string campaign = {}) {
    asset_metadata m;
    m.title = std::move(title);
    m.tags = std::move(tags);
    m.kind = kind;
    m.campaign = std::move(campaign);
    auto v = kho::validate(std::move(m));
    REQUIRE(v.has_value());
    return *v;
}

// A data directory with a blob store, a database, an asset store and a token
// store, with a clock the test moves by hand. close() + open() simulates a
// restart.
class store_env {
  public:
    store_env() { open(); }
    ~store_env() { close(); }
    store_env(const store_env&) = delete;
    store_env& operator=(const store_env&) = delete;

    void open() {
        auto b = local_blob_store::open(dir.path() / "data");
        REQUIRE(b.has_value());
        blobs = std::move(*b);
        db = kho::test::open_test_database(db_path());
        audit = std::make_unique<kho::storage::audit_log>(*db, kho::clock([this] { return now; }));
        assets = std::make_unique<asset_store>(*db, *blobs, *audit,
                                               kho::clock([this] { return now; }));
        tokens = std::make_unique<token_store>(*db, *audit, kho::clock([this] { return now; }));
        jobs = std::make_unique<kho::storage::job_queue>(
            *db, kho::clock([this] { return now; }),
            kho::storage::job_queue_options{3, 1000, 8000});
        assets->set_job_queue(jobs.get());
    }

    void close() {
        tokens.reset();
        assets.reset();
        jobs.reset();
        audit.reset();
        db.reset();
        blobs.reset();
    }

    fs::path db_path() const { return dir.path() / "data" / "db"; }
    fs::path tmp_path() const { return dir.path() / "data" / "tmp"; }

    staged stage(const std::string& bytes) {
        auto w = blobs->begin_write(1u << 30);
        REQUIRE(w.has_value());
        REQUIRE(w->write(bytes.data(), bytes.size()).has_value());
        auto info = w->finish();
        REQUIRE(info.has_value());
        return staged{std::move(*w), *info};
    }

    std::pair<asset, asset_version> create(asset_metadata m, const std::string& bytes,
                                           const std::string& file_name = "Áp phích.png",
                                           const std::string& content_type = "image/png") {
        auto s = stage(bytes);
        auto r = assets->create(std::move(m), std::move(s.writer), s.info, content_type, file_name,
                                kho::audit_context{"admin", ""});
        REQUIRE(r.has_value());
        return *r;
    }

    asset_version add_version(const ulid& id, const std::string& bytes,
                              const std::string& file_name = "Áp phích (bản 2).png") {
        auto s = stage(bytes);
        auto r = assets->add_version(id, std::move(s.writer), s.info, "image/png", file_name,
                                     kho::audit_context{"bientap.vien", ""});
        REQUIRE(r.has_value());
        return *r;
    }

    asset get(const ulid& id) {
        auto r = assets->get(id);
        REQUIRE(r.has_value());
        return *r;
    }

    std::size_t tmp_entries() const {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp_path())) ++n;
        return n;
    }

    temp_dir dir;
    kho::unix_ms now = k_start;
    std::unique_ptr<local_blob_store> blobs;
    std::unique_ptr<database> db;
    std::unique_ptr<asset_store> assets;
    std::unique_ptr<token_store> tokens;
    std::unique_ptr<kho::storage::audit_log> audit;
    std::unique_ptr<kho::storage::job_queue> jobs;
};

// Follows next_cursor to the end. Checks page sizes and that no id repeats.
std::vector<std::string> list_all(const asset_store& store, const asset_filter& filter,
                                  std::size_t limit,
                                  std::vector<std::size_t>* page_sizes = nullptr) {
    std::vector<std::string> ids;
    std::set<std::string> seen;
    std::optional<std::string> cursor;
    for (int pages = 0; pages < 1000; ++pages) {
        auto page = store.list(filter, cursor, limit);
        REQUIRE(page.has_value());
        REQUIRE(page->items.size() <= limit);
        if (page_sizes) page_sizes->push_back(page->items.size());
        for (const auto& a : page->items) {
            auto id = a.id.to_string();
            INFO("id " << id);
            REQUIRE(seen.insert(id).second);
            ids.push_back(id);
        }
        if (!page->next_cursor) return ids;
        cursor = page->next_cursor;
    }
    FAIL("pagination did not end");
    return ids;
}

std::vector<std::string> newest_first(const std::vector<asset>& created) {
    std::vector<std::string> ids;
    for (auto it = created.rbegin(); it != created.rend(); ++it) ids.push_back(it->id.to_string());
    return ids;
}

std::string bytes_for(int i) {
    return "\x89PNG\r\n\x1a\n áp phích số " + std::to_string(i);
}

}  // namespace

TEST_CASE("create, get, get_version and list_versions", "[asset_store]") {
    store_env env;
    const std::string bytes = "\x89PNG\r\n\x1a\n Áp phích Nghị quyết 71";
    auto [a, v] = env.create(meta("Áp phích Nghị quyết 71", {"chuyển đổi số", "nghị quyết"},
                                  asset_kind::poster, k_campaign_71),
                             bytes, "Áp phích NQ71.png");

    CHECK(a.meta.title == "Áp phích Nghị quyết 71");
    CHECK(a.revision == 1);
    CHECK(a.version_count == 1);
    CHECK(a.created_by == "admin");
    CHECK(a.created_at == k_start);
    CHECK(a.updated_at == k_start);
    CHECK_FALSE(a.deleted_at.has_value());

    CHECK(v.number == 1);
    CHECK(v.sha256 == kho::sha256::hex_of(bytes));
    CHECK(v.size == bytes.size());
    CHECK(v.content_type == "image/png");
    CHECK(v.file_name == "Áp phích NQ71.png");
    CHECK(v.uploaded_by == "admin");
    CHECK(v.created_at == k_start);

    auto got = env.assets->get(a.id);
    REQUIRE(got.has_value());
    CHECK(got->id == a.id);
    CHECK(got->meta.title == a.meta.title);
    CHECK(got->meta.tags == std::vector<std::string>{"chuyển đổi số", "nghị quyết"});
    CHECK(got->meta.kind == asset_kind::poster);
    CHECK(got->meta.campaign == k_campaign_71);
    CHECK(got->revision == 1);
    CHECK(got->version_count == 1);
    CHECK(got->created_at == k_start);

    auto gv = env.assets->get_version(a.id, 1);
    REQUIRE(gv.has_value());
    CHECK(gv->sha256 == v.sha256);
    CHECK(gv->size == v.size);
    CHECK(gv->file_name == "Áp phích NQ71.png");

    auto versions = env.assets->list_versions(a.id);
    REQUIRE(versions.has_value());
    REQUIRE(versions->size() == 1);
    CHECK((*versions)[0].number == 1);
    CHECK((*versions)[0].sha256 == v.sha256);

    // The blob is stored, referenced once, and counted.
    CHECK(env.blobs->exists(v.sha256));
    CHECK(env.assets->ref_count(v.sha256) == 1);
    CHECK(env.assets->stats().blob_count == 1);
    CHECK(env.assets->stats().blob_bytes == static_cast<std::int64_t>(bytes.size()));
    CHECK(env.tmp_entries() == 0);

    SECTION("unknown ids and versions") {
        auto missing = env.assets->get(ulid{});
        REQUIRE_FALSE(missing.has_value());
        CHECK(missing.error().code == errc::not_found);
        auto no_version = env.assets->get_version(a.id, 2);
        REQUIRE_FALSE(no_version.has_value());
        CHECK(no_version.error().code == errc::not_found);
        auto no_version_0 = env.assets->get_version(a.id, 0);
        REQUIRE_FALSE(no_version_0.has_value());
        CHECK(no_version_0.error().code == errc::not_found);
        auto none = env.assets->list_versions(ulid{});
        REQUIRE(none.has_value());
        CHECK(none->empty());
    }
}

TEST_CASE("identical bytes share one blob", "[asset_store]") {
    store_env env;
    const std::string bytes = "%PDF-1.7\n Kế hoạch năm học 2025-2026";
    auto [a, va] =
        env.create(meta("Kế hoạch năm học 2025-2026"), bytes, "ke-hoach.pdf", "application/pdf");
    env.now += 1000;
    auto [b, vb] =
        env.create(meta("Kế hoạch năm học (bản sao)"), bytes, "ban-sao.pdf", "application/pdf");

    CHECK(a.id != b.id);
    CHECK(va.sha256 == vb.sha256);
    CHECK(env.assets->ref_count(va.sha256) == 2);
    CHECK(env.assets->stats().blob_count == 1);
    CHECK(env.assets->stats().blob_bytes == static_cast<std::int64_t>(bytes.size()));
    int files = 0;
    env.blobs->for_each([&](const blob_info& info) {
        ++files;
        CHECK(info.sha256 == va.sha256);
    });
    CHECK(files == 1);
    CHECK(env.tmp_entries() == 0);
}

TEST_CASE("add_version", "[asset_store]") {
    store_env env;
    auto [a, v1] =
        env.create(meta("Infographic chuyển đổi số", {"chuyển đổi số"}, asset_kind::infographic),
                   "<svg>bản 1</svg>", "infographic.svg", "image/svg+xml");
    env.now += 60'000;
    auto v2 = env.add_version(a.id, "<svg>bản 2</svg>", "infographic-v2.svg");
    CHECK(v2.number == 2);
    CHECK(v2.created_at == k_start + 60'000);
    CHECK(v2.uploaded_by == "bientap.vien");
    env.now += 60'000;
    auto v3 =
        env.add_version(a.id, "<svg>bản 1</svg>", "infographic-v3.svg");  // back to v1's bytes
    CHECK(v3.number == 3);
    CHECK(v3.sha256 == v1.sha256);

    auto got = env.get(a.id);
    CHECK(got.version_count == 3);
    CHECK(got.revision == 3);
    CHECK(got.updated_at == k_start + 120'000);
    CHECK(got.created_at == k_start);

    auto versions = env.assets->list_versions(a.id);
    REQUIRE(versions.has_value());
    REQUIRE(versions->size() == 3);
    CHECK((*versions)[0].number == 1);
    CHECK((*versions)[1].number == 2);
    CHECK((*versions)[2].number == 3);
    CHECK((*versions)[1].file_name == "infographic-v2.svg");

    CHECK(env.assets->ref_count(v1.sha256) == 2);
    CHECK(env.assets->ref_count(v2.sha256) == 1);
    CHECK(env.assets->stats().blob_count == 2);

    SECTION("versions of other assets are not listed") {
        auto [b, vb] = env.create(meta("Áp phích khác"), "khác");
        auto a_versions = env.assets->list_versions(a.id);
        REQUIRE(a_versions.has_value());
        CHECK(a_versions->size() == 3);
        auto b_versions = env.assets->list_versions(b.id);
        REQUIRE(b_versions.has_value());
        CHECK(b_versions->size() == 1);
    }
    SECTION("unknown asset") {
        auto s = env.stage("mồ côi");
        auto r = env.assets->add_version(ulid{}, std::move(s.writer), s.info, "image/png", "x.png",
                                kho::audit_context{"admin", ""});
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::not_found);
        CHECK_FALSE(env.blobs->exists(s.info.sha256));
        CHECK(env.tmp_entries() == 0);
    }
    SECTION("an asset in the trash takes no new version") {
        REQUIRE(env.assets->trash(a.id, std::nullopt).has_value());
        auto s = env.stage("bản 4");
        auto r = env.assets->add_version(a.id, std::move(s.writer), s.info, "image/png", "x.png",
                                kho::audit_context{"admin", ""});
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::gone);
        CHECK_FALSE(env.blobs->exists(s.info.sha256));
        CHECK(env.tmp_entries() == 0);
        CHECK(env.get(a.id).version_count == 3);
    }
}

TEST_CASE("list pages newest first", "[asset_store][list]") {
    store_env env;
    std::vector<asset> created;
    for (int i = 0; i < 25; ++i) {
        env.now += 1000;
        created.push_back(env.create(meta("Áp phích số " + std::to_string(i)), bytes_for(i)).first);
    }
    const auto expected = newest_first(created);

    SECTION("pages of 10, 10, 5") {
        auto p1 = env.assets->list({}, std::nullopt, 10);
        REQUIRE(p1.has_value());
        REQUIRE(p1->items.size() == 10);
        REQUIRE(p1->next_cursor.has_value());
        CHECK(p1->items.front().id == created.back().id);
        CHECK(p1->items.front().meta.title == "Áp phích số 24");
        CHECK(*p1->next_cursor == p1->items.back().id.to_string());

        auto p2 = env.assets->list({}, p1->next_cursor, 10);
        REQUIRE(p2.has_value());
        REQUIRE(p2->items.size() == 10);
        REQUIRE(p2->next_cursor.has_value());

        auto p3 = env.assets->list({}, p2->next_cursor, 10);
        REQUIRE(p3.has_value());
        REQUIRE(p3->items.size() == 5);
        CHECK_FALSE(p3->next_cursor.has_value());
        CHECK(p3->items.back().id == created.front().id);

        std::vector<std::string> all;
        for (const auto* p : {&*p1, &*p2, &*p3})
            for (const auto& a : p->items) all.push_back(a.id.to_string());
        CHECK(all == expected);
    }
    SECTION("list_all with several limits") {
        for (std::size_t limit : {1u, 3u, 5u, 10u, 24u, 25u, 26u, 200u}) {
            std::vector<std::size_t> sizes;
            INFO("limit " << limit);
            CHECK(list_all(*env.assets, {}, limit, &sizes) == expected);
            CHECK(sizes.size() == (25 + limit - 1) / limit);
        }
    }
    SECTION("a limit that divides the count ends without an empty page") {
        std::vector<std::size_t> sizes;
        CHECK(list_all(*env.assets, {}, 5, &sizes) == expected);
        CHECK(sizes == std::vector<std::size_t>{5, 5, 5, 5, 5});
    }
    SECTION("a cursor continues after that id, even in lower case") {
        auto cursor = created[10].id.to_string();
        for (auto& ch : cursor)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        auto r = env.assets->list({}, cursor, 3);
        REQUIRE(r.has_value());
        REQUIRE(r->items.size() == 3);
        CHECK(r->items[0].id == created[9].id);
        CHECK(r->items[2].id == created[7].id);
    }
    SECTION("the oldest id as cursor gives an empty last page") {
        auto r = env.assets->list({}, created.front().id.to_string(), 10);
        REQUIRE(r.has_value());
        CHECK(r->items.empty());
        CHECK_FALSE(r->next_cursor.has_value());
    }
    SECTION("a malformed cursor is refused") {
        for (std::string bad :
             {"", "abc", "01KAZ8MSBS7RQ4ZV1D8XE9J2M!", "not a cursor at all, sorry"}) {
            auto r = env.assets->list({}, bad, 10);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::invalid_parameter);
        }
    }
}

TEST_CASE("list on an empty store", "[asset_store][list]") {
    store_env env;
    for (const auto& f : {asset_filter{}, asset_filter{asset_kind::video, {}, {}, {}, false},
                          asset_filter{{}, std::string("chuyển đổi số"), {}, {}, false},
                          asset_filter{{}, {}, {}, std::string(64, 'a'), false},
                          asset_filter{{}, {}, {}, {}, true}}) {
        auto r = env.assets->list(f, std::nullopt, 10);
        REQUIRE(r.has_value());
        CHECK(r->items.empty());
        CHECK_FALSE(r->next_cursor.has_value());
    }
}

TEST_CASE("list filters by kind, tag and campaign", "[asset_store][list]") {
    store_env env;
    std::vector<asset> created;
    const asset_kind kinds[] = {asset_kind::poster, asset_kind::video, asset_kind::document};
    for (int i = 0; i < 30; ++i) {
        std::vector<std::string> tags{"giáo dục"};
        if (i % 2 == 0) tags.push_back("chuyển đổi số");
        if (i % 7 == 0) tags.push_back("chuyển đổi số quốc gia");
        const auto& campaign = i % 5 == 0   ? k_campaign_71
                               : i % 5 == 1 ? k_campaign_2011
                                            : std::string();
        env.now += 1000;
        created.push_back(
            env.create(meta("Tài liệu " + std::to_string(i), tags, kinds[i % 3], campaign),
                       bytes_for(i))
                .first);
    }
    auto expect = [&](auto pred) {
        std::vector<asset> subset;
        for (const auto& a : created)
            if (pred(a)) subset.push_back(a);
        return newest_first(subset);
    };
    auto has_tag = [](const asset& a, const std::string& t) {
        return std::find(a.meta.tags.begin(), a.meta.tags.end(), t) != a.meta.tags.end();
    };

    SECTION("kind") {
        asset_filter f;
        f.kind = asset_kind::video;
        auto want = expect([](const asset& a) { return a.meta.kind == asset_kind::video; });
        REQUIRE(want.size() == 10);
        CHECK(list_all(*env.assets, f, 4) == want);
        f.kind = asset_kind::podcast;
        CHECK(list_all(*env.assets, f, 4).empty());
    }
    SECTION("tag") {
        asset_filter f;
        f.tag = "chuyển đổi số";
        auto want = expect([&](const asset& a) { return has_tag(a, "chuyển đổi số"); });
        REQUIRE(want.size() == 15);
        std::vector<std::size_t> sizes;
        CHECK(list_all(*env.assets, f, 5, &sizes) == want);
        CHECK(sizes == std::vector<std::size_t>{5, 5, 5});
    }
    SECTION("a tag that is a prefix of another tag") {
        asset_filter f;
        f.tag = "chuyển đổi số quốc gia";
        auto want = expect([&](const asset& a) { return has_tag(a, "chuyển đổi số quốc gia"); });
        REQUIRE(want.size() == 5);
        CHECK(list_all(*env.assets, f, 10) == want);
        f.tag = "chuyển đổi";
        CHECK(list_all(*env.assets, f, 10).empty());
    }
    SECTION("tags match exactly") {
        asset_filter f;
        f.tag = "Chuyển đổi số";
        CHECK(list_all(*env.assets, f, 10).empty());
        f.tag = "chuyen doi so";
        CHECK(list_all(*env.assets, f, 10).empty());
    }
    SECTION("campaign") {
        asset_filter f;
        f.campaign = k_campaign_71;
        auto want = expect([](const asset& a) { return a.meta.campaign == k_campaign_71; });
        REQUIRE(want.size() == 6);
        CHECK(list_all(*env.assets, f, 4) == want);
        f.campaign = k_campaign_2011;
        CHECK(list_all(*env.assets, f, 4) ==
              expect([](const asset& a) { return a.meta.campaign == k_campaign_2011; }));
        f.campaign = "Nghị quyết 71";
        CHECK(list_all(*env.assets, f, 4).empty());
    }
    SECTION("combined filters") {
        asset_filter f;
        f.tag = "chuyển đổi số";
        f.kind = asset_kind::poster;
        auto want = expect([&](const asset& a) {
            return has_tag(a, "chuyển đổi số") && a.meta.kind == asset_kind::poster;
        });
        REQUIRE(want.size() == 5);
        CHECK(list_all(*env.assets, f, 2) == want);

        asset_filter g;
        g.campaign = k_campaign_71;
        g.kind = asset_kind::document;
        CHECK(list_all(*env.assets, g, 2) == expect([](const asset& a) {
                  return a.meta.campaign == k_campaign_71 && a.meta.kind == asset_kind::document;
              }));
    }
    SECTION("every returned item matches, page after page") {
        asset_filter f;
        f.tag = "giáo dục";
        std::vector<std::size_t> sizes;
        CHECK(list_all(*env.assets, f, 10, &sizes) == newest_first(created));
        CHECK(sizes == std::vector<std::size_t>{10, 10, 10});
    }
}

TEST_CASE("update with a stale revision changes nothing", "[asset_store][update]") {
    store_env env;
    auto [a, v] = env.create(
        meta("Áp phích Nghị quyết 71", {"chuyển đổi số"}, asset_kind::poster, k_campaign_71),
        "bytes");
    asset_metadata_patch p;
    p.title = "Tiêu đề mới";
    p.tags = std::vector<std::string>{"giáo dục"};
    env.now += 5000;
    auto first = env.assets->update(a.id, 1, p);
    REQUIRE(first.has_value());
    CHECK(first->revision == 2);

    asset_metadata_patch late;
    late.title = "Sửa từ bản cũ";
    late.tags = std::vector<std::string>{"lỗi thời"};
    env.now += 5000;
    auto stale = env.assets->update(a.id, 1, late);
    REQUIRE_FALSE(stale.has_value());
    CHECK(stale.error().code == errc::precondition_failed);

    auto got = env.get(a.id);
    CHECK(got.revision == 2);
    CHECK(got.meta.title == "Tiêu đề mới");
    CHECK(got.meta.tags == std::vector<std::string>{"giáo dục"});
    CHECK(got.updated_at == k_start + 5000);
    asset_filter f;
    f.tag = "lỗi thời";
    CHECK(list_all(*env.assets, f, 10).empty());

    SECTION("a revision from the future is stale too") {
        auto r = env.assets->update(a.id, 3, late);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::precondition_failed);
    }
    SECTION("an invalid patch changes nothing") {
        asset_metadata_patch bad;
        bad.title = "   ";
        bad.tags = std::vector<std::string>{"không được lưu"};
        auto r = env.assets->update(a.id, 2, bad);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::invalid_parameter);
        CHECK(env.get(a.id).revision == 2);
        CHECK(env.get(a.id).meta.title == "Tiêu đề mới");
    }
    SECTION("unknown asset") {
        auto r = env.assets->update(ulid{}, 1, p);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::not_found);
    }
}

TEST_CASE("update moves index entries", "[asset_store][update]") {
    store_env env;
    auto [a, v] = env.create(meta("Áp phích Nghị quyết 71", {"chuyển đổi số", "nghị quyết"},
                                  asset_kind::poster, k_campaign_71),
                             "bytes");
    auto [other, ov] =
        env.create(meta("Áp phích khác", {"chuyển đổi số"}, asset_kind::poster), "other");
    auto ids_for = [&](asset_filter f) { return list_all(*env.assets, f, 10); };
    auto by_tag = [](std::string t) {
        asset_filter f;
        f.tag = std::move(t);
        return f;
    };
    auto by_kind = [](asset_kind k) {
        asset_filter f;
        f.kind = k;
        return f;
    };
    auto by_campaign = [](std::string c) {
        asset_filter f;
        f.campaign = std::move(c);
        return f;
    };
    const auto id = a.id.to_string();
    const auto other_id = other.id.to_string();

    asset_metadata_patch p;
    p.tags = std::vector<std::string>{"nghị quyết", "đào tạo"};
    p.kind = asset_kind::infographic;
    p.campaign = k_campaign_2011;
    env.now += 7000;
    auto updated = env.assets->update(a.id, 1, p);
    REQUIRE(updated.has_value());
    CHECK(updated->revision == 2);
    CHECK(updated->updated_at == k_start + 7000);
    CHECK(updated->meta.title == "Áp phích Nghị quyết 71");

    CHECK(ids_for(by_tag("chuyển đổi số")) == std::vector<std::string>{other_id});
    CHECK(ids_for(by_tag("đào tạo")) == std::vector<std::string>{id});
    CHECK(ids_for(by_tag("nghị quyết")) == std::vector<std::string>{id});
    CHECK(ids_for(by_kind(asset_kind::poster)) == std::vector<std::string>{other_id});
    CHECK(ids_for(by_kind(asset_kind::infographic)) == std::vector<std::string>{id});
    CHECK(ids_for(by_campaign(k_campaign_71)).empty());
    CHECK(ids_for(by_campaign(k_campaign_2011)) == std::vector<std::string>{id});

    SECTION("clearing the campaign removes it from the campaign index") {
        asset_metadata_patch clear;
        clear.campaign = "";
        REQUIRE(env.assets->update(a.id, 2, clear).has_value());
        CHECK(ids_for(by_campaign(k_campaign_2011)).empty());
        CHECK(ids_for(by_campaign("")).empty());
    }
    SECTION("the change survives a restart") {
        env.close();
        env.open();
        CHECK(ids_for(by_tag("đào tạo")) == std::vector<std::string>{id});
        CHECK(ids_for(by_tag("chuyển đổi số")) == std::vector<std::string>{other_id});
        CHECK(env.get(a.id).revision == 2);
    }
}

TEST_CASE("trash and restore", "[asset_store][trash]") {
    store_env env;
    auto [a, va] =
        env.create(meta("Video tuyển sinh", {"tuyển sinh"}, asset_kind::video, k_campaign_71),
                   "video a", "tuyen-sinh.mp4", "video/mp4");
    auto [b, vb] = env.create(meta("Video hướng nghiệp", {"tuyển sinh"}, asset_kind::video),
                              "video b", "huong-nghiep.mp4", "video/mp4");
    asset_filter live;
    asset_filter trashed;
    trashed.trashed = true;
    asset_filter trashed_tag;
    trashed_tag.trashed = true;
    trashed_tag.tag = "tuyển sinh";
    asset_filter live_tag;
    live_tag.tag = "tuyển sinh";

    env.now += 10'000;
    auto t = env.assets->trash(a.id, a.revision);
    REQUIRE(t.has_value());
    CHECK(t->deleted_at == k_start + 10'000);
    CHECK(t->revision == 2);
    CHECK(env.get(a.id).deleted_at == k_start + 10'000);

    CHECK(list_all(*env.assets, live, 10) == std::vector<std::string>{b.id.to_string()});
    CHECK(list_all(*env.assets, trashed, 10) == std::vector<std::string>{a.id.to_string()});
    CHECK(list_all(*env.assets, live_tag, 10) == std::vector<std::string>{b.id.to_string()});
    CHECK(list_all(*env.assets, trashed_tag, 10) == std::vector<std::string>{a.id.to_string()});
    // Trashed assets keep their data.
    CHECK(env.blobs->exists(va.sha256));
    CHECK(env.assets->get_version(a.id, 1).has_value());

    SECTION("trash twice is a conflict") {
        auto again = env.assets->trash(a.id, std::nullopt);
        REQUIRE_FALSE(again.has_value());
        CHECK(again.error().code == errc::conflict);
    }
    SECTION("trash with a stale revision") {
        auto r = env.assets->trash(b.id, 7);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::precondition_failed);
        CHECK_FALSE(env.get(b.id).deleted_at.has_value());
    }
    SECTION("updating a trashed asset is refused") {
        asset_metadata_patch p;
        p.title = "Không được sửa";
        auto r = env.assets->update(a.id, 2, p);
        REQUIRE_FALSE(r.has_value());
        CHECK(env.get(a.id).meta.title == "Video tuyển sinh");
    }
    SECTION("restore") {
        env.now += 10'000;
        auto r = env.assets->restore(a.id);
        REQUIRE(r.has_value());
        CHECK_FALSE(r->deleted_at.has_value());
        CHECK(r->revision == 3);
        CHECK(r->updated_at == k_start + 20'000);
        CHECK(list_all(*env.assets, live, 10) ==
              std::vector<std::string>{b.id.to_string(), a.id.to_string()});
        CHECK(list_all(*env.assets, trashed, 10).empty());
        CHECK(list_all(*env.assets, trashed_tag, 10).empty());

        auto again = env.assets->restore(a.id);
        REQUIRE_FALSE(again.has_value());
        CHECK(again.error().code == errc::conflict);
    }
    SECTION("restore of a live asset is a conflict") {
        auto r = env.assets->restore(b.id);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::conflict);
    }
    SECTION("unknown ids") {
        CHECK(env.assets->trash(ulid{}, std::nullopt).error().code == errc::not_found);
        CHECK(env.assets->restore(ulid{}).error().code == errc::not_found);
        CHECK(env.assets->purge(ulid{}).error().code == errc::not_found);
    }
}

TEST_CASE("purge", "[asset_store][purge]") {
    store_env env;
    const std::string bytes = "\xff\xd8\xff\xe0 Ảnh tốt nghiệp";
    auto [a, v] =
        env.create(meta("Ảnh tốt nghiệp", {"tốt nghiệp"}, asset_kind::poster, k_campaign_2011),
                   bytes, "anh.jpg", "image/jpeg");
    auto path = env.blobs->path_of(v.sha256);
    REQUIRE(fs::exists(path));

    SECTION("only from the trash") {
        auto r = env.assets->purge(a.id);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::conflict);
        CHECK(env.assets->get(a.id).has_value());
        CHECK(fs::exists(path));
        CHECK(env.assets->ref_count(v.sha256) == 1);
    }
    SECTION("removes the asset, its versions, its index entries and its blob") {
        REQUIRE(env.assets->trash(a.id, std::nullopt).has_value());
        REQUIRE(env.assets->purge(a.id).has_value());

        auto got = env.assets->get(a.id);
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error().code == errc::not_found);
        CHECK(env.assets->get_version(a.id, 1).error().code == errc::not_found);
        auto versions = env.assets->list_versions(a.id);
        REQUIRE(versions.has_value());
        CHECK(versions->empty());

        asset_filter trashed;
        trashed.trashed = true;
        CHECK(list_all(*env.assets, trashed, 10).empty());
        trashed.tag = "tốt nghiệp";
        CHECK(list_all(*env.assets, trashed, 10).empty());
        trashed.tag.reset();
        trashed.campaign = k_campaign_2011;
        CHECK(list_all(*env.assets, trashed, 10).empty());

        CHECK_FALSE(fs::exists(path));
        CHECK_FALSE(env.blobs->exists(v.sha256));
        CHECK(env.assets->ref_count(v.sha256) == 0);
        CHECK(env.assets->stats().blob_count == 0);
        CHECK(env.assets->stats().blob_bytes == 0);

        auto again = env.assets->purge(a.id);
        REQUIRE_FALSE(again.has_value());
        CHECK(again.error().code == errc::not_found);
    }
    SECTION("the same bytes can be uploaded again after a purge") {
        REQUIRE(env.assets->trash(a.id, std::nullopt).has_value());
        REQUIRE(env.assets->purge(a.id).has_value());
        auto [b, vb] = env.create(meta("Ảnh tốt nghiệp (tải lại)"), bytes, "anh.jpg", "image/jpeg");
        CHECK(vb.sha256 == v.sha256);
        CHECK(fs::exists(path));
        CHECK(env.assets->ref_count(v.sha256) == 1);
        CHECK(env.assets->stats().blob_count == 1);
        CHECK(env.assets->stats().blob_bytes == static_cast<std::int64_t>(bytes.size()));
    }
}

TEST_CASE("purge keeps blobs that other assets still reference", "[asset_store][purge]") {
    store_env env;
    const std::string shared = "%PDF-1.7\n Thông tư 29/2024/TT-BGDĐT";
    const std::string own = "%PDF-1.7\n Phụ lục";
    auto [a, va1] = env.create(meta("Thông tư 29"), shared, "tt29.pdf", "application/pdf");
    auto va2 = env.add_version(a.id, own, "phu-luc.pdf");
    auto [b, vb] =
        env.create(meta("Thông tư 29 (bản gửi trường)"), shared, "tt29.pdf", "application/pdf");
    REQUIRE(env.assets->ref_count(va1.sha256) == 2);
    REQUIRE(env.assets->stats().blob_count == 2);

    REQUIRE(env.assets->trash(a.id, std::nullopt).has_value());
    REQUIRE(env.assets->purge(a.id).has_value());
    // The shared blob stays for b; a's own version blob goes.
    CHECK(env.blobs->exists(va1.sha256));
    CHECK(env.assets->ref_count(va1.sha256) == 1);
    CHECK_FALSE(env.blobs->exists(va2.sha256));
    CHECK(env.assets->ref_count(va2.sha256) == 0);
    CHECK(env.assets->stats().blob_count == 1);
    CHECK(env.assets->stats().blob_bytes == static_cast<std::int64_t>(shared.size()));
    auto file = env.blobs->open_read(vb.sha256);
    REQUIRE(file.has_value());
    CHECK(file->size == shared.size());

    REQUIRE(env.assets->trash(b.id, std::nullopt).has_value());
    REQUIRE(env.assets->purge(b.id).has_value());
    CHECK_FALSE(env.blobs->exists(va1.sha256));
    CHECK(env.assets->ref_count(va1.sha256) == 0);
    CHECK(env.assets->stats().blob_count == 0);
    CHECK(env.assets->stats().blob_bytes == 0);
}

TEST_CASE("purge of an asset whose versions repeat the same bytes", "[asset_store][purge]") {
    store_env env;
    auto [a, v1] = env.create(meta("Podcast tập 3"), "ID3 podcast", "tap3.mp3", "audio/mpeg");
    auto v2 = env.add_version(a.id, "ID3 podcast", "tap3-lai.mp3");
    REQUIRE(v2.sha256 == v1.sha256);
    REQUIRE(env.assets->ref_count(v1.sha256) == 2);
    REQUIRE(env.assets->stats().blob_count == 1);
    REQUIRE(env.assets->trash(a.id, std::nullopt).has_value());
    REQUIRE(env.assets->purge(a.id).has_value());
    CHECK_FALSE(env.blobs->exists(v1.sha256));
    CHECK(env.assets->ref_count(v1.sha256) == 0);
    CHECK(env.assets->stats().blob_count == 0);
}

TEST_CASE("reopening the database keeps everything", "[asset_store][restart]") {
    store_env env;
    std::vector<asset> created;
    for (int i = 0; i < 12; ++i) {
        env.now += 1000;
        created.push_back(
            env.create(meta("Bản tin số " + std::to_string(i), {"bản tin"},
                            i % 2 ? asset_kind::video : asset_kind::poster, k_campaign_71),
                       bytes_for(i))
                .first);
    }
    auto v2 = env.add_version(created[0].id, "bản 2 của bản tin 0");
    asset_metadata_patch p;
    p.title = "Bản tin số 1 (đã sửa)";
    REQUIRE(env.assets->update(created[1].id, 1, p).has_value());
    REQUIRE(env.assets->trash(created[2].id, std::nullopt).has_value());
    auto token = env.tokens->ensure_bootstrap(std::nullopt);
    REQUIRE(token.has_value());
    REQUIRE(token->has_value());
    const auto stats_before = env.assets->stats();
    const auto live_before = list_all(*env.assets, {}, 5);
    REQUIRE(live_before.size() == 11);

    env.close();
    env.open();

    CHECK(list_all(*env.assets, {}, 5) == live_before);
    asset_filter trashed;
    trashed.trashed = true;
    CHECK(list_all(*env.assets, trashed, 5) == std::vector<std::string>{created[2].id.to_string()});
    asset_filter videos;
    videos.kind = asset_kind::video;
    CHECK(list_all(*env.assets, videos, 5).size() == 6);
    CHECK(env.get(created[1].id).meta.title == "Bản tin số 1 (đã sửa)");
    CHECK(env.get(created[1].id).revision == 2);
    CHECK(env.get(created[0].id).version_count == 2);
    auto got_v2 = env.assets->get_version(created[0].id, 2);
    REQUIRE(got_v2.has_value());
    CHECK(got_v2->sha256 == v2.sha256);
    CHECK(env.assets->stats().blob_count == stats_before.blob_count);
    CHECK(env.assets->stats().blob_bytes == stats_before.blob_bytes);
    CHECK(env.assets->stats().blob_count == 13);
    CHECK(env.assets->ref_count(v2.sha256) == 1);
    CHECK(env.tokens->authenticate(**token).has_value());
    auto again = env.tokens->ensure_bootstrap(std::nullopt);
    REQUIRE(again.has_value());
    CHECK_FALSE(again->has_value());

    SECTION("new ids after a restart still sort after the old ones") {
        env.now += 1000;
        auto [fresh, fv] = env.create(meta("Sau khi khởi động lại"), "fresh");
        auto page = env.assets->list({}, std::nullopt, 1);
        REQUIRE(page.has_value());
        REQUIRE(page->items.size() == 1);
        CHECK(page->items[0].id == fresh.id);
    }
}

TEST_CASE("database::open refuses a newer schema version", "[database]") {
    store_env env;
    {
        // The marker lives in the default column family; no public API writes
        // it, so reach the RocksDB handles directly.
        auto& h = env.db->handles();
        auto s =
            h.db->Put(kho::storage::sync_write(), h[kho::storage::cf::meta], "schema_version", "2");
        REQUIRE(s.ok());
    }
    env.close();
    auto r = database::open(env.db_path());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::unavailable);
    CHECK(r.error().detail.find("schema version 2") != std::string::npos);
}

TEST_CASE("database::open writes and checks the schema version", "[database]") {
    store_env env;
    std::string stored;
    auto& h = env.db->handles();
    auto s =
        h.db->Get(rocksdb::ReadOptions(), h[kho::storage::cf::meta], "schema_version", &stored);
    REQUIRE(s.ok());
    CHECK(stored == std::to_string(database::schema_version));
}

TEST_CASE("database::open refuses a directory already in use", "[database]") {
    store_env env;
    auto second = database::open(env.db_path());
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().code == errc::unavailable);
}

TEST_CASE("token_store bootstrap and authentication", "[token_store]") {
    store_env env;
    SECTION("a generated token is returned once") {
        auto first = env.tokens->ensure_bootstrap(std::nullopt);
        REQUIRE(first.has_value());
        REQUIRE(first->has_value());
        const std::string token = **first;
        CHECK(token.starts_with("kho_"));
        CHECK(token.size() == 4 + 43);
        CHECK(token.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 4) ==
              std::string::npos);

        auto second = env.tokens->ensure_bootstrap(std::nullopt);
        REQUIRE(second.has_value());
        CHECK_FALSE(second->has_value());

        auto who = env.tokens->authenticate(token);
        REQUIRE(who.has_value());
        CHECK(who->user_id == "admin");
        CHECK(who->kind == kho::storage::credential_kind::bootstrap);

        for (std::string other :
             {std::string(), std::string("kho_"), token + "x", token.substr(0, token.size() - 1),
              std::string("Bearer ") + token, token_store::generate(), std::string(300, 'a')}) {
            auto r = env.tokens->authenticate(other);
            INFO("token " << other);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::unauthorized);
        }
    }
    SECTION("a provided token is registered") {
        const std::string provided = "kho_bgddt-admin-2025-nghi-quyet-71";
        auto r = env.tokens->ensure_bootstrap(provided);
        REQUIRE(r.has_value());
        CHECK_FALSE(r->has_value());  // nothing to print: the operator chose it
        auto who = env.tokens->authenticate(provided);
        REQUIRE(who.has_value());
        CHECK(who->user_id == "admin");
        // A bootstrap token now exists: nothing is generated later.
        auto later = env.tokens->ensure_bootstrap(std::nullopt);
        REQUIRE(later.has_value());
        CHECK_FALSE(later->has_value());
        // Providing it again at the next start is fine.
        auto again = env.tokens->ensure_bootstrap(provided);
        REQUIRE(again.has_value());
        CHECK(env.tokens->authenticate(provided).has_value());
    }
    SECTION("a provided token is validated") {
        for (std::string bad :
             {std::string(), std::string("short"), std::string(19, 'a'), std::string(257, 'a'),
              std::string("kho_token with spaces 123"), std::string("kho_mật-khẩu-quản-trị-2025"),
              std::string("kho_tab\there-1234567890"), std::string("kho_newline\n1234567890")}) {
            auto r = env.tokens->ensure_bootstrap(bad);
            INFO("token " << bad);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::invalid_parameter);
            CHECK_FALSE(env.tokens->authenticate(bad).has_value());
        }
        // Nothing was registered, so a token is still generated.
        auto generated = env.tokens->ensure_bootstrap(std::nullopt);
        REQUIRE(generated.has_value());
        CHECK(generated->has_value());
    }
    SECTION("length limits are inclusive") {
        REQUIRE(env.tokens->ensure_bootstrap(std::string(20, 'k')).has_value());
        CHECK(env.tokens->authenticate(std::string(20, 'k')).has_value());
        REQUIRE(env.tokens->ensure_bootstrap(std::string(256, 'k')).has_value());
        CHECK(env.tokens->authenticate(std::string(256, 'k')).has_value());
    }
    SECTION("generated tokens differ") {
        std::set<std::string> tokens;
        for (int i = 0; i < 100; ++i) tokens.insert(token_store::generate());
        CHECK(tokens.size() == 100);
    }
}

namespace {

kho::storage::transition_request step(kho::workflow_action a, std::string comment = {}) {
    kho::storage::transition_request t;
    t.action = a;
    t.comment = std::move(comment);
    if (a == kho::workflow_action::approve) {
        t.audience = kho::audience{};
        t.audience->all_units = true;
    }
    return t;
}

std::vector<std::string> audit_actions(store_env& env, const std::string& target) {
    kho::storage::audit_filter f;
    f.target = target;
    auto page = env.audit->list(f, std::nullopt, 100);
    REQUIRE(page.has_value());
    std::vector<std::string> out;
    for (const auto& e : page->items) out.push_back(e.action);
    return out;
}

}  // namespace

TEST_CASE("transition: the workflow in storage", "[asset_store][workflow]") {
    using kho::version_state;
    using kho::workflow_action;
    store_env env;
    auto [a, v1] = env.create(meta("Áp phích Nghị quyết 71"), bytes_for(1));
    CHECK(v1.state == version_state::draft);
    const kho::audit_context designer{"u-designer", "113.161.1.1"};
    const kho::audit_context reviewer{"u-reviewer", "14.160.1.1"};

    SECTION("illegal steps are conflicts that name the allowed ones") {
        auto r = env.assets->transition(a.id, 1, step(workflow_action::approve), reviewer);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::conflict);
        CHECK(r.error().detail.find("Allowed: submit") != std::string::npos);
        CHECK(env.assets->transition(a.id, 2, step(workflow_action::submit), designer)
                  .error()
                  .code == errc::not_found);
    }
    SECTION("submit, reject with a comment, revise, submit, approve") {
        env.now += 1000;
        auto s = env.assets->transition(a.id, 1, step(workflow_action::submit), designer);
        REQUIRE(s.has_value());
        CHECK(s->state == version_state::in_review);
        CHECK(s->submitted_by == "u-designer");
        CHECK(s->submitted_at == env.now);
        // A rejection needs a comment; nothing changes without one.
        auto bare = env.assets->transition(a.id, 1, step(workflow_action::reject), reviewer);
        CHECK(bare.error().code == errc::unprocessable);
        CHECK(env.assets->get_version(a.id, 1)->state == version_state::in_review);
        auto no_audience = step(workflow_action::approve);
        no_audience.audience.reset();
        CHECK(env.assets->transition(a.id, 1, no_audience, reviewer).error().code ==
              errc::unprocessable);
        auto backwards = step(workflow_action::approve);
        backwards.window = kho::validity_window{env.now + 2000, env.now + 1000};
        CHECK(env.assets->transition(a.id, 1, backwards, reviewer).error().code ==
              errc::unprocessable);
        auto rejected = env.assets->transition(
            a.id, 1, step(workflow_action::reject, "Sai phông chữ tiêu đề"), reviewer);
        REQUIRE(rejected.has_value());
        CHECK(rejected->state == version_state::rejected);
        CHECK(rejected->review_comment == "Sai phông chữ tiêu đề");
        REQUIRE(env.assets->transition(a.id, 1, step(workflow_action::revise), designer).has_value());
        REQUIRE(env.assets->transition(a.id, 1, step(workflow_action::submit), designer).has_value());
        auto approve = step(workflow_action::approve, "Đạt");
        approve.window = kho::validity_window{env.now, env.now + 86'400'000};
        auto ok = env.assets->transition(a.id, 1, approve, reviewer);
        REQUIRE(ok.has_value());
        CHECK(ok->state == version_state::approved);
        CHECK(ok->audience.all_units);
        CHECK(ok->window.until == env.now + 86'400'000);
        // Persisted, and each step audited with its comment.
        env.close();
        env.open();
        auto stored = env.assets->get_version(a.id, 1);
        CHECK(stored->state == version_state::approved);
        CHECK(stored->window.from == ok->window.from);
        CHECK(audit_actions(env, "asset:" + a.id.to_string() + "/v1") ==
              std::vector<std::string>{"version.approved", "version.submitted", "version.revised",
                                       "version.rejected", "version.submitted", "asset.created"});
    }
    SECTION("approving a new version supersedes the approved one") {
        for (auto st : {workflow_action::submit, workflow_action::approve})
            REQUIRE(env.assets->transition(a.id, 1, step(st), st == workflow_action::submit
                                                                   ? designer
                                                                   : reviewer).has_value());
        env.add_version(a.id, bytes_for(2));
        CHECK(env.assets->get_version(a.id, 1)->state == version_state::approved);
        REQUIRE(env.assets->transition(a.id, 2, step(workflow_action::submit), designer).has_value());
        CHECK(env.assets->get_version(a.id, 1)->state == version_state::approved);
        REQUIRE(env.assets->transition(a.id, 2, step(workflow_action::approve), reviewer).has_value());
        auto old = env.assets->get_version(a.id, 1);
        CHECK(old->state == version_state::archived);
        CHECK(old->review_comment == "superseded by version 2");
        CHECK(audit_actions(env, "asset:" + a.id.to_string() + "/v1").front() ==
              "version.archived");
    }
    SECTION("the trash stops the workflow") {
        REQUIRE(env.assets->trash(a.id, std::nullopt).has_value());
        CHECK(env.assets->transition(a.id, 1, step(workflow_action::submit), designer)
                  .error()
                  .code == errc::conflict);
    }
}

TEST_CASE("review_queue: oldest submission first, in pages", "[asset_store][workflow]") {
    store_env env;
    std::vector<std::string> submitted;
    for (int i = 0; i < 7; ++i) {
        auto [a, v] = env.create(meta("Infographic " + std::to_string(i)), bytes_for(100 + i));
        (void)v;
        env.now += 1000;
        REQUIRE(env.assets->transition(a.id, 1, step(kho::workflow_action::submit), {}).has_value());
        submitted.push_back(a.id.to_string());
    }
    // Submitted in reverse order of creation for the last two: order follows submission.
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    for (int pages = 0; pages < 10; ++pages) {
        auto page = env.assets->review_queue(cursor, 3);
        REQUIRE(page.has_value());
        for (const auto& item : page->items) seen.push_back(item.asset_id.to_string());
        if (!page->next_cursor) break;
        cursor = page->next_cursor;
    }
    CHECK(seen == submitted);
    // Decided versions leave the queue; a purged asset leaves no trace.
    auto first = kho::ulid::parse(submitted[0]).value();
    REQUIRE(env.assets->transition(first, 1, step(kho::workflow_action::reject, "Thiếu nguồn"), {}).has_value());
    auto second = kho::ulid::parse(submitted[1]).value();
    REQUIRE(env.assets->trash(second, std::nullopt).has_value());
    REQUIRE(env.assets->purge(second).has_value());
    auto page = env.assets->review_queue(std::nullopt, 100);
    REQUIRE(page->items.size() == 5);
    CHECK(page->items[0].asset_id.to_string() == submitted[2]);
    CHECK(env.assets->review_queue(std::string("zz"), 10).error().code == errc::invalid_parameter);
}

namespace {

// A rendition file staged in tmp/ as a worker would leave it.
kho::storage::staged_rendition stage_rendition(store_env& env, const std::string& name,
                                               const std::string& bytes) {
    auto s = env.stage(bytes);
    kho::rendition r;
    r.name = name;
    r.content_type = "image/webp";
    r.width = 320;
    r.height = 213;
    return kho::storage::staged_rendition{r, std::move(s.writer), s.info};
}

}  // namespace

TEST_CASE("job queue: a job with every new image version, in its commit", "[jobs]") {
    store_env env;
    auto [a, v1] = env.create(meta("Áp phích"), bytes_for(1));
    auto pdf = env.create(meta("Kế hoạch"), "%PDF-1.4 kế hoạch", "ke-hoach.pdf", "application/pdf");
    auto other = env.create(meta("Bảng tính"), "a,b\n1,2", "bang.csv", "text/csv");
    (void)other;
    auto jobs = env.jobs->for_version(a.id, 1);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].kind == "image");
    CHECK(jobs[0].state == kho::job_state::pending);
    CHECK(jobs[0].sha256 == v1.sha256);
    CHECK(env.jobs->for_version(pdf.first.id, 1).size() == 1);
    CHECK(env.jobs->for_version(other.first.id, 1).empty());
    env.add_version(a.id, bytes_for(2));
    CHECK(env.jobs->for_version(a.id, 2).size() == 1);
    // Survives a restart.
    env.close();
    env.open();
    kho::storage::job_filter f;
    f.state = kho::job_state::pending;
    CHECK(env.jobs->list(f, std::nullopt, 100)->items.size() == 3);
}

TEST_CASE("job queue: claim, lease, back-off, dead letter, retry", "[jobs]") {
    store_env env;
    auto [a, v] = env.create(meta("Áp phích"), bytes_for(1));
    (void)v;
    env.now += 10;
    auto [b, w] = env.create(meta("Infographic"), bytes_for(2));
    (void)w;
    // Oldest first; a claimed job is not offered again.
    auto first = env.jobs->claim("worker-1", 60'000);
    REQUIRE(first.has_value());
    REQUIRE(first->has_value());
    CHECK((*first)->asset_id == a.id);
    CHECK((*first)->state == kho::job_state::running);
    CHECK((*first)->attempts == 1);
    auto second = env.jobs->claim("worker-2", 60'000);
    CHECK((*second)->asset_id == b.id);
    CHECK_FALSE(env.jobs->claim("worker-3", 60'000)->has_value());

    // A failure goes back to pending after a back-off that doubles.
    auto failed = env.jobs->fail(**first, "libvips: đọc lỗi", true);
    REQUIRE(failed.has_value());
    CHECK(failed->state == kho::job_state::pending);
    CHECK(failed->not_before == env.now + 1000);
    CHECK_FALSE(env.jobs->claim("worker-1", 60'000)->has_value());
    env.now += 1000;
    auto again = env.jobs->claim("worker-1", 60'000);
    REQUIRE(again->has_value());
    CHECK((*again)->attempts == 2);
    failed = env.jobs->fail(**again, "lỗi lần 2", true);
    CHECK(failed->not_before == env.now + 2000);
    env.now += 2000;
    auto third = env.jobs->claim("worker-1", 60'000);
    // The last attempt fails for good: dead letter, with its error.
    failed = env.jobs->fail(**third, "lỗi lần 3", true);
    CHECK(failed->state == kho::job_state::failed);
    CHECK(failed->error == "lỗi lần 3");
    env.now += 100'000;
    CHECK_FALSE(env.jobs->claim("worker-1", 60'000)->has_value());
    // A stale holder cannot report on a job it no longer holds.
    CHECK(env.jobs->fail(**first, "muộn", true).error().code == kho::errc::conflict);
    // An admin retries it: pending now, attempts from zero.
    auto retried = env.jobs->retry(failed->id);
    REQUIRE(retried.has_value());
    CHECK(retried->attempts == 0);
    CHECK(env.jobs->retry(failed->id).error().code == kho::errc::conflict);
    CHECK(env.jobs->claim("worker-1", 60'000)->has_value());
    // A refused file is failed at once, whatever attempts remain.
    auto gone = env.jobs->fail(**second, "tệp hỏng", false);
    REQUIRE(gone.has_value());
    CHECK(gone->state == kho::job_state::failed);
    CHECK(gone->attempts == 1);
}

TEST_CASE("job queue: a dead worker's job runs again", "[jobs]") {
    store_env env;
    auto [a, v] = env.create(meta("Video"), bytes_for(1));
    (void)v;
    auto held = env.jobs->claim("worker-1", 5'000);
    REQUIRE(held->has_value());
    env.now += 4'999;
    CHECK(env.jobs->reclaim_expired() == 0);
    env.now += 1;
    CHECK(env.jobs->reclaim_expired() == 1);
    auto again = env.jobs->claim("worker-2", 5'000);
    REQUIRE(again->has_value());
    CHECK((*again)->attempts == 2);
    // The old holder's report is refused.
    rocksdb::WriteBatch batch;
    CHECK(env.jobs->complete(batch, **held).error().code == kho::errc::conflict);
    // A restart requeues what was running, without counting the cut-short run.
    env.close();
    env.open();
    CHECK(env.jobs->requeue_running() == 1);
    auto after = env.jobs->claim("worker-3", 5'000);
    REQUIRE(after->has_value());
    CHECK((*after)->attempts == 2);
}

TEST_CASE("renditions: committed with the job, replaced by a re-run, purged with the asset",
          "[jobs][renditions]") {
    store_env env;
    auto [a, v] = env.create(meta("Áp phích"), bytes_for(1));
    (void)v;
    auto held = env.jobs->claim("w", 60'000);
    REQUIRE(held->has_value());
    std::vector<kho::storage::staged_rendition> staged;
    staged.push_back(stage_rendition(env, "thumb", "ảnh nhỏ v1"));
    staged.push_back(stage_rendition(env, "preview", "ảnh xem trước v1"));
    auto made = env.assets->commit_renditions(a.id, 1, std::move(staged), **held,
                                              R"({"width":6000,"height":4000})");
    REQUIRE(made.has_value());
    CHECK(made->size() == 2);
    CHECK(env.jobs->get((*held)->id)->state == kho::job_state::done);
    auto thumb = env.assets->get_rendition(a.id, 1, "thumb");
    REQUIRE(thumb.has_value());
    CHECK(env.blobs->exists(thumb->sha256));
    CHECK(env.assets->ref_count(thumb->sha256) == 1);
    CHECK(nlohmann::json::parse(env.assets->get_version(a.id, 1)->media_info) ==
          nlohmann::json{{"width", 6000}, {"height", 4000}});
    CHECK(env.tmp_entries() == 0);
    // A second commit for the same lease is refused; its files are not kept.
    std::vector<kho::storage::staged_rendition> late;
    late.push_back(stage_rendition(env, "thumb", "muộn"));
    CHECK(env.assets->commit_renditions(a.id, 1, std::move(late), **held).error().code ==
          kho::errc::conflict);
    CHECK(env.tmp_entries() == 0);

    CHECK(env.jobs->fail(**held, "x", true).error().code == kho::errc::conflict);
    env.close();
    env.open();
    CHECK(env.jobs->get((*held)->id)->state == kho::job_state::done);
    CHECK(env.assets->list_renditions(a.id, 1)->size() == 2);
    auto old_thumb = thumb->sha256;
    // Purge drops the renditions' references and the jobs.
    REQUIRE(env.assets->trash(a.id, std::nullopt).has_value());
    REQUIRE(env.assets->purge(a.id).has_value());
    CHECK(env.assets->ref_count(old_thumb) == 0);
    CHECK_FALSE(env.blobs->exists(old_thumb));
    CHECK(env.jobs->for_version(a.id, 1).empty());
    CHECK(env.assets->list_renditions(a.id, 1)->empty());
    CHECK(env.assets->stats().blob_count == 0);
}

// list_versions() caches an asset's decoded list: every kind of change must
// show in the next listing (a stale list would serve an old version or an
// old state to a download of the latest).
TEST_CASE("the cached version list follows every change", "[asset_store][cache]") {
    using kho::version_state;
    using kho::workflow_action;
    store_env env;
    auto [a, v1] = env.create(meta("Áp phích Nghị quyết 71"), bytes_for(1));
    const kho::audit_context designer{"u-designer", "113.161.1.1"};
    const kho::audit_context reviewer{"u-reviewer", "14.160.1.1"};
    auto listed = [&] {
        auto v = env.assets->list_versions(a.id);
        REQUIRE(v.has_value());
        return *v;
    };
    REQUIRE(listed().size() == 1);  // now cached

    env.add_version(a.id, bytes_for(2), "v2.png");
    auto after_add = listed();
    REQUIRE(after_add.size() == 2);
    CHECK(after_add[1].file_name == "v2.png");

    REQUIRE(env.assets->transition(a.id, 2, step(workflow_action::submit), designer).has_value());
    CHECK(listed()[1].state == version_state::in_review);
    REQUIRE(env.assets->transition(a.id, 2, step(workflow_action::approve), reviewer).has_value());
    CHECK(listed()[1].state == version_state::approved);

    // The same list twice: the second comes from the cache and is equal.
    auto again = listed();
    CHECK(again.size() == 2);
    CHECK(again[1].state == version_state::approved);
    CHECK(again[0].sha256 == v1.sha256);

    // A media job's result (the version's media_info) shows too.
    auto held = env.jobs->claim("w", 60'000);
    REQUIRE(held->has_value());
    const auto n = (*held)->version;
    REQUIRE((n == 1 || n == 2));
    std::vector<kho::storage::staged_rendition> staged;
    staged.push_back(stage_rendition(env, "thumb", "ảnh nhỏ"));
    REQUIRE(env.assets
                ->commit_renditions(a.id, n, std::move(staged), **held,
                                    R"({"width":640,"height":480})")
                .has_value());
    CHECK(nlohmann::json::parse(listed()[n - 1].media_info) ==
          nlohmann::json{{"width", 640}, {"height", 480}});
}
