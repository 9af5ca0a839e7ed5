#include "core/asset.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using kho::asset;
using kho::asset_kind;
using kho::asset_metadata;
using kho::asset_metadata_patch;
using kho::asset_version;
using kho::errc;
using json = nlohmann::json;

namespace {

// 2025-11-26T05:02:12.345Z
constexpr kho::unix_ms k_created = 1764133332345;

asset_metadata poster_meta() {
    asset_metadata m;
    m.title = "Áp phích Nghị quyết 71";
    m.description =
        "Áp phích tuyên truyền Nghị quyết 71-NQ/TW về đột phá phát triển giáo dục và đào tạo.";
    m.tags = {"nghị quyết", "chuyển đổi số"};
    m.kind = asset_kind::poster;
    m.campaign = "Nghị quyết 71-NQ/TW";
    m.language = "vi";
    return m;
}

asset sample_asset() {
    asset a;
    a.id = *kho::ulid::parse("01KAZ8MSBS7RQ4ZV1D8XE9J2MN");
    a.meta = poster_meta();
    a.revision = 4;
    a.version_count = 2;
    a.created_by = "admin";
    a.created_at = k_created;
    a.updated_at = k_created + 86'400'000;
    return a;
}

asset_version sample_version() {
    asset_version v;
    v.number = 2;
    v.sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    v.size = 2'457'600;
    v.content_type = "image/png";
    v.file_name = "Áp phích \"Nghị quyết 71\" (bản in A0).png";
    v.uploaded_by = "admin";
    v.created_at = k_created + 1;
    return v;
}

void require_same(const asset& a, const asset& b) {
    REQUIRE(a.id == b.id);
    REQUIRE(a.meta.title == b.meta.title);
    REQUIRE(a.meta.description == b.meta.description);
    REQUIRE(a.meta.tags == b.meta.tags);
    REQUIRE(a.meta.kind == b.meta.kind);
    REQUIRE(a.meta.campaign == b.meta.campaign);
    REQUIRE(a.meta.language == b.meta.language);
    REQUIRE(a.revision == b.revision);
    REQUIRE(a.version_count == b.version_count);
    REQUIRE(a.created_by == b.created_by);
    REQUIRE(a.created_at == b.created_at);
    REQUIRE(a.updated_at == b.updated_at);
    REQUIRE(a.deleted_at == b.deleted_at);
}

void require_same(const asset_version& a, const asset_version& b) {
    REQUIRE(a.number == b.number);
    REQUIRE(a.sha256 == b.sha256);
    REQUIRE(a.size == b.size);
    REQUIRE(a.content_type == b.content_type);
    REQUIRE(a.file_name == b.file_name);
    REQUIRE(a.uploaded_by == b.uploaded_by);
    REQUIRE(a.created_at == b.created_at);
}

// "2025-11-26T05:02:12.345Z": RFC 3339, UTC, millisecond precision.
bool is_rfc3339_ms(const std::string& s) {
    const std::string_view shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (s.size() != shape.size()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i]) return false;
    }
    return true;
}

void require_invalid(const kho::result<asset_metadata>& r) {
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().code == errc::invalid_parameter);
    REQUIRE_FALSE(r.error().detail.empty());
}

void require_invalid(const kho::result<asset_metadata_patch>& r) {
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().code == errc::invalid_parameter);
    REQUIRE_FALSE(r.error().detail.empty());
}

}  // namespace

TEST_CASE("validate accepts and cleans metadata", "[asset][validate]") {
    SECTION("a typical poster is unchanged") {
        auto r = kho::validate(poster_meta());
        REQUIRE(r.has_value());
        REQUIRE(r->title == "Áp phích Nghị quyết 71");
        REQUIRE(r->tags == std::vector<std::string>{"nghị quyết", "chuyển đổi số"});
        REQUIRE(r->kind == asset_kind::poster);
        REQUIRE(r->campaign == "Nghị quyết 71-NQ/TW");
        REQUIRE(r->language == "vi");
    }
    SECTION("surrounding white space is trimmed") {
        auto m = poster_meta();
        m.title = "  \tÁp phích Nghị quyết 71 \r\n";
        m.description = "\n  Áp phích khổ A0.\n\n";
        m.campaign = " Nghị quyết 71-NQ/TW ";
        m.tags = {"  chuyển đổi số ", "giáo dục\t"};
        m.language = " vi ";
        auto r = kho::validate(m);
        REQUIRE(r.has_value());
        CHECK(r->title == "Áp phích Nghị quyết 71");
        CHECK(r->description == "Áp phích khổ A0.");
        CHECK(r->campaign == "Nghị quyết 71-NQ/TW");
        CHECK(r->tags == std::vector<std::string>{"chuyển đổi số", "giáo dục"});
        CHECK(r->language == "vi");
    }
    SECTION("white space inside a title stays") {
        auto m = poster_meta();
        m.title = "Thầy ra thầy,  trò ra trò";
        REQUIRE(kho::validate(m)->title == "Thầy ra thầy,  trò ra trò");
    }
    SECTION("empty optional fields are fine") {
        asset_metadata m;
        m.title = "Video hướng dẫn tuyển sinh";
        auto r = kho::validate(m);
        REQUIRE(r.has_value());
        CHECK(r->description.empty());
        CHECK(r->campaign.empty());
        CHECK(r->tags.empty());
        CHECK(r->kind == asset_kind::other);
        CHECK(r->language == "vi");
    }
    SECTION("an empty language becomes vi") {
        auto m = poster_meta();
        m.language = "";
        REQUIRE(kho::validate(m)->language == "vi");
        m.language = "   ";
        REQUIRE(kho::validate(m)->language == "vi");
    }
}

TEST_CASE("validate refuses an empty title", "[asset][validate]") {
    auto m = poster_meta();
    for (std::string title : {"", " ", "   \t ", "\n"}) {
        m.title = title;
        require_invalid(kho::validate(m));
    }
}

TEST_CASE("validate refuses control characters", "[asset][validate]") {
    auto m = poster_meta();
    SECTION("in the title") {
        m.title = "Áp phích\x01 Nghị quyết";
        require_invalid(kho::validate(m));
        m.title = "Áp phích\x1b[2J";
        require_invalid(kho::validate(m));
        m.title = "Áp phích\x7f";
        require_invalid(kho::validate(m));
        m.title = std::string("Áp phích") + '\0' + "Nghị quyết";
        require_invalid(kho::validate(m));
    }
    SECTION("line breaks are not allowed inside a title, campaign or tag") {
        m.title = "Áp phích\nNghị quyết 71";
        require_invalid(kho::validate(m));
        m = poster_meta();
        m.title = "Áp phích\r\nNghị quyết 71";
        require_invalid(kho::validate(m));
        m = poster_meta();
        m.title = "Áp phích\tNghị quyết 71";
        require_invalid(kho::validate(m));
        m = poster_meta();
        m.campaign = "Nghị quyết\n71";
        require_invalid(kho::validate(m));
        m = poster_meta();
        m.tags = {"chuyển\nđổi số"};
        require_invalid(kho::validate(m));
    }
    SECTION("the description may have line breaks and tabs, but no other controls") {
        m.description = "Dòng 1: mục tiêu\nDòng 2: đối tượng\r\n\tDòng 3: thời gian";
        auto r = kho::validate(m);
        REQUIRE(r.has_value());
        REQUIRE(r->description == m.description);
        m.description = "Dòng 1\x07";
        require_invalid(kho::validate(m));
        m.description = "Dòng 1\x7f";
        require_invalid(kho::validate(m));
    }
    SECTION("in the language") {
        m.language = "vi\n";  // trimmed: fine
        REQUIRE(kho::validate(m).has_value());
        m.language = "v\ni";
        require_invalid(kho::validate(m));
    }
}

TEST_CASE("validate refuses invalid UTF-8", "[asset][validate]") {
    auto m = poster_meta();
    SECTION("title") {
        m.title = "Ti\xEAng Vi\xEAt";
    }
    SECTION("description") {
        m.description = "M\xF4 t\xE1";
    }
    SECTION("campaign") {
        m.campaign = "Ngh\xE1\xBB";
    }
    SECTION("tag") {
        m.tags = {"gi\xC3", "chuyển đổi số"};
    }
    SECTION("overlong slash") {
        m.title = "..\xC0\xAF";
    }
    SECTION("surrogate") {
        m.title = "\xED\xA0\x80";
    }
    require_invalid(kho::validate(m));
}

TEST_CASE("validate removes duplicate and empty tags", "[asset][validate]") {
    auto m = poster_meta();
    m.tags = {"chuyển đổi số", "giáo dục",     "chuyển đổi số", " giáo dục ", "",
              "   ",           "Chuyển đổi số"};
    auto r = kho::validate(m);
    REQUIRE(r.has_value());
    // First occurrence wins, order kept; comparison is exact (case matters).
    REQUIRE(r->tags == std::vector<std::string>{"chuyển đổi số", "giáo dục", "Chuyển đổi số"});
}

TEST_CASE("validate limits", "[asset][validate]") {
    auto m = poster_meta();
    kho::metadata_limits limits;
    auto numbered = [](size_t n) {
        std::vector<std::string> tags;
        for (size_t i = 0; i < n; ++i) tags.push_back("chủ đề " + std::to_string(i));
        return tags;
    };
    SECTION("as many tags as allowed") {
        m.tags = numbered(limits.max_tags);
        REQUIRE(kho::validate(m).has_value());
    }
    SECTION("one tag too many") {
        m.tags = numbered(limits.max_tags + 1);
        require_invalid(kho::validate(m));
    }
    SECTION("duplicates do not count against the limit") {
        m.tags = numbered(limits.max_tags);
        m.tags.push_back("chủ đề 0");
        m.tags.push_back(" chủ đề 1 ");
        auto r = kho::validate(m);
        REQUIRE(r.has_value());
        REQUIRE(r->tags.size() == limits.max_tags);
    }
    SECTION("custom tag count") {
        kho::metadata_limits two;
        two.max_tags = 2;
        m.tags = {"a", "b", "c"};
        require_invalid(kho::validate(m, two));
        m.tags = {"a", "b", "a"};
        REQUIRE(kho::validate(m, two).has_value());
    }
    SECTION("title length in bytes") {
        m.title = std::string(limits.max_title_bytes, 'a');
        REQUIRE(kho::validate(m).has_value());
        m.title += "a";
        require_invalid(kho::validate(m));
        // Vietnamese letters count as bytes, not characters: 200 x "ệ" = 600 bytes.
        m.title.clear();
        for (int i = 0; i < 200; ++i) m.title += "ệ";
        require_invalid(kho::validate(m));
    }
    SECTION("trimming happens before the length check") {
        m.title = "  " + std::string(limits.max_title_bytes, 'a') + "  ";
        REQUIRE(kho::validate(m).has_value());
    }
    SECTION("tag, campaign and description lengths") {
        m.tags = {std::string(limits.max_tag_bytes + 1, 't')};
        require_invalid(kho::validate(m));
        m = poster_meta();
        m.campaign = std::string(limits.max_campaign_bytes + 1, 'c');
        require_invalid(kho::validate(m));
        m = poster_meta();
        m.description = std::string(limits.max_description_bytes + 1, 'd');
        require_invalid(kho::validate(m));
        m.description = std::string(limits.max_description_bytes, 'd');
        REQUIRE(kho::validate(m).has_value());
    }
}

TEST_CASE("validate checks the language tag", "[asset][validate]") {
    auto m = poster_meta();
    for (std::string ok : {"vi", "en", "vi-VN", "en-US", "zh-Hant-TW", "km"}) {
        m.language = ok;
        auto r = kho::validate(m);
        INFO("language " << ok);
        REQUIRE(r.has_value());
        REQUIRE(r->language == ok);
    }
    for (std::string bad : {"vi_VN", "vi VN", "tiếng Việt", "vi;q=0.9", "../en", "vi\x01"}) {
        m.language = bad;
        INFO("language " << bad);
        require_invalid(kho::validate(m));
    }
    m.language = std::string(36, 'a');
    require_invalid(kho::validate(m));
}

TEST_CASE("parse_metadata_patch", "[asset][patch]") {
    SECTION("empty object: nothing changes") {
        auto r = kho::parse_metadata_patch(json::object());
        REQUIRE(r.has_value());
        CHECK_FALSE(r->title);
        CHECK_FALSE(r->description);
        CHECK_FALSE(r->tags);
        CHECK_FALSE(r->kind);
        CHECK_FALSE(r->campaign);
        CHECK_FALSE(r->language);
    }
    SECTION("only present fields are set") {
        auto r = kho::parse_metadata_patch(json{{"title", "Áp phích Nghị quyết 71 (bản sửa)"}});
        REQUIRE(r.has_value());
        REQUIRE(r->title == "Áp phích Nghị quyết 71 (bản sửa)");
        CHECK_FALSE(r->description);
        CHECK_FALSE(r->tags);
        CHECK_FALSE(r->kind);
    }
    SECTION("every field") {
        auto body = json::parse(R"({
            "title": "Infographic chuyển đổi số",
            "description": "Số liệu năm học 2024-2025",
            "tags": ["chuyển đổi số", "thống kê"],
            "kind": "infographic",
            "campaign": "Nghị quyết 71-NQ/TW",
            "language": "vi"
        })");
        auto r = kho::parse_metadata_patch(body);
        REQUIRE(r.has_value());
        CHECK(r->title == "Infographic chuyển đổi số");
        CHECK(r->description == "Số liệu năm học 2024-2025");
        CHECK(r->tags == std::vector<std::string>{"chuyển đổi số", "thống kê"});
        CHECK(r->kind == asset_kind::infographic);
        CHECK(r->campaign == "Nghị quyết 71-NQ/TW");
        CHECK(r->language == "vi");
    }
    SECTION("empty strings and an empty tag list are values, not absence") {
        auto r = kho::parse_metadata_patch(json{{"description", ""}, {"tags", json::array()}});
        REQUIRE(r.has_value());
        REQUIRE(r->description == "");
        REQUIRE(r->tags);
        REQUIRE(r->tags->empty());
    }
    SECTION("every kind") {
        const std::vector<std::pair<std::string, asset_kind>> kinds{
            {"poster", asset_kind::poster},     {"infographic", asset_kind::infographic},
            {"video", asset_kind::video},       {"podcast", asset_kind::podcast},
            {"document", asset_kind::document}, {"other", asset_kind::other}};
        for (const auto& [text, kind] : kinds) {
            auto r = kho::parse_metadata_patch(json{{"kind", text}});
            INFO("kind " << text);
            REQUIRE(r.has_value());
            REQUIRE(r->kind == kind);
        }
    }
    SECTION("unknown kinds") {
        for (json kind : {json("Poster"), json("banner"), json(""), json("áp phích"), json(1),
                          json(nullptr), json::array({"poster"})})
            require_invalid(kho::parse_metadata_patch(json{{"kind", kind}}));
    }
    SECTION("unknown and read-only fields") {
        for (const char* field : {"id", "revision", "version_count", "created_at", "created_by",
                                  "deleted_at", "Title", "tag", "extra"}) {
            INFO("field " << field);
            require_invalid(kho::parse_metadata_patch(json{{field, "x"}}));
            require_invalid(kho::parse_metadata_patch(json{{"title", "Áp phích"}, {field, 1}}));
        }
    }
    SECTION("wrong types") {
        require_invalid(kho::parse_metadata_patch(json{{"title", 71}}));
        require_invalid(kho::parse_metadata_patch(json{{"title", nullptr}}));
        require_invalid(kho::parse_metadata_patch(json{{"title", true}}));
        require_invalid(kho::parse_metadata_patch(json{{"title", json::array({"Áp phích"})}}));
        require_invalid(kho::parse_metadata_patch(json{{"description", json::object()}}));
        require_invalid(kho::parse_metadata_patch(json{{"campaign", 71}}));
        require_invalid(kho::parse_metadata_patch(json{{"language", json::array()}}));
        require_invalid(kho::parse_metadata_patch(json{{"tags", "chuyển đổi số"}}));
        require_invalid(kho::parse_metadata_patch(json{{"tags", json::array({"a", 1})}}));
        require_invalid(kho::parse_metadata_patch(json{{"tags", json::array({nullptr})}}));
        require_invalid(kho::parse_metadata_patch(json{{"tags", nullptr}}));
        require_invalid(kho::parse_metadata_patch(json{{"tags", json::object()}}));
    }
    SECTION("the body must be an object") {
        require_invalid(kho::parse_metadata_patch(json::array()));
        require_invalid(kho::parse_metadata_patch(json("Áp phích")));
        require_invalid(kho::parse_metadata_patch(json(nullptr)));
        require_invalid(kho::parse_metadata_patch(json(3)));
    }
}

TEST_CASE("apply_patch", "[asset][patch]") {
    const auto current = *kho::validate(poster_meta());
    SECTION("an empty patch keeps everything") {
        auto r = kho::apply_patch(current, {});
        REQUIRE(r.has_value());
        CHECK(r->title == current.title);
        CHECK(r->description == current.description);
        CHECK(r->tags == current.tags);
        CHECK(r->kind == current.kind);
        CHECK(r->campaign == current.campaign);
        CHECK(r->language == current.language);
    }
    SECTION("only present fields change") {
        asset_metadata_patch p;
        p.title = "Áp phích Nghị quyết 71 (bản cuối)";
        p.kind = asset_kind::infographic;
        auto r = kho::apply_patch(current, p);
        REQUIRE(r.has_value());
        CHECK(r->title == "Áp phích Nghị quyết 71 (bản cuối)");
        CHECK(r->kind == asset_kind::infographic);
        CHECK(r->description == current.description);
        CHECK(r->tags == current.tags);
        CHECK(r->campaign == current.campaign);
    }
    SECTION("tags are replaced, then cleaned") {
        asset_metadata_patch p;
        p.tags = std::vector<std::string>{" giáo dục ", "giáo dục", "đổi mới"};
        auto r = kho::apply_patch(current, p);
        REQUIRE(r.has_value());
        CHECK(r->tags == std::vector<std::string>{"giáo dục", "đổi mới"});
    }
    SECTION("clearing fields") {
        asset_metadata_patch p;
        p.description = "";
        p.campaign = "";
        p.tags = std::vector<std::string>{};
        p.language = "";
        auto r = kho::apply_patch(current, p);
        REQUIRE(r.has_value());
        CHECK(r->description.empty());
        CHECK(r->campaign.empty());
        CHECK(r->tags.empty());
        CHECK(r->language == "vi");
    }
    SECTION("the result is validated") {
        asset_metadata_patch p;
        p.title = "   ";
        require_invalid(kho::apply_patch(current, p));
        p.title = "Áp phích\x01";
        require_invalid(kho::apply_patch(current, p));
        asset_metadata_patch lang;
        lang.language = "vi_VN";
        require_invalid(kho::apply_patch(current, lang));
    }
    SECTION("a parsed body applies") {
        auto p = kho::parse_metadata_patch(
            json{{"title", "  Đào tạo giáo viên "}, {"tags", json::array({"sư phạm"})}});
        REQUIRE(p.has_value());
        auto r = kho::apply_patch(current, *p);
        REQUIRE(r.has_value());
        CHECK(r->title == "Đào tạo giáo viên");
        CHECK(r->tags == std::vector<std::string>{"sư phạm"});
        CHECK(r->campaign == current.campaign);
    }
    SECTION("custom limits are used") {
        kho::metadata_limits limits;
        limits.max_title_bytes = 10;
        asset_metadata_patch p;
        p.title = "Áp phích Nghị quyết 71";
        require_invalid(kho::apply_patch(current, p, limits));
    }
}

TEST_CASE("asset records round trip", "[asset][codec]") {
    SECTION("live asset") {
        auto a = sample_asset();
        auto back = kho::decode_asset_record(kho::encode_record(a));
        REQUIRE(back.has_value());
        require_same(*back, a);
        REQUIRE_FALSE(back->deleted_at.has_value());
    }
    SECTION("asset in the trash") {
        auto a = sample_asset();
        a.deleted_at = k_created + 2 * 86'400'000;
        auto back = kho::decode_asset_record(kho::encode_record(a));
        REQUIRE(back.has_value());
        require_same(*back, a);
        REQUIRE(back->deleted_at == k_created + 2 * 86'400'000);
    }
    SECTION("deleted at the epoch is still deleted") {
        auto a = sample_asset();
        a.deleted_at = 0;
        auto back = kho::decode_asset_record(kho::encode_record(a));
        REQUIRE(back.has_value());
        REQUIRE(back->deleted_at == kho::unix_ms{0});
    }
    SECTION("awkward strings and every kind") {
        for (auto kind : {asset_kind::poster, asset_kind::infographic, asset_kind::video,
                          asset_kind::podcast, asset_kind::document, asset_kind::other}) {
            auto a = sample_asset();
            a.meta.kind = kind;
            a.meta.title = "Trích dẫn \"Thầy ra thầy\" \\ / {} []";
            a.meta.description = "Dòng 1\nDòng 2\r\n\tDòng 3 🎓";
            a.meta.tags = {};
            a.meta.campaign = "";
            a.meta.language = "en-US";
            a.revision = 18'446'744'073'709'551'615ull;
            a.version_count = 4'294'967'295u;
            auto back = kho::decode_asset_record(kho::encode_record(a));
            REQUIRE(back.has_value());
            require_same(*back, a);
        }
    }
    SECTION("version record") {
        auto v = sample_version();
        auto back = kho::decode_version_record(kho::encode_record(v));
        REQUIRE(back.has_value());
        require_same(*back, v);
    }
    SECTION("large version") {
        auto v = sample_version();
        v.size = 5'000'000'000'000ull;
        v.number = 1;
        v.content_type = "video/mp4";
        v.file_name = "Phóng sự Ngày Nhà giáo Việt Nam 20-11.mp4";
        auto back = kho::decode_version_record(kho::encode_record(v));
        REQUIRE(back.has_value());
        require_same(*back, v);
    }
    SECTION("records are compact JSON") {
        auto j = json::parse(kho::encode_record(sample_asset()));
        REQUIRE(j.is_object());
        REQUIRE(j.at("created_at").is_number_integer());
        REQUIRE(j.at("id") == "01KAZ8MSBS7RQ4ZV1D8XE9J2MN");
        REQUIRE_FALSE(j.contains("deleted_at"));
        REQUIRE(kho::encode_record(sample_asset()).find('\n') == std::string::npos);
    }
}

TEST_CASE("decoding corrupt records gives an error, never an exception", "[asset][codec]") {
    const auto good_asset = kho::encode_record(sample_asset());
    const auto good_version = kho::encode_record(sample_version());
    auto with = [](std::string record, const std::string& field, const json& value) {
        auto j = json::parse(record);
        j[field] = value;
        return j.dump();
    };
    auto without = [](std::string record, const std::string& field) {
        auto j = json::parse(record);
        j.erase(field);
        return j.dump();
    };
    std::vector<std::string> bad_assets{
        "",
        "{",
        "not json",
        "[]",
        "null",
        "{}",
        "42",
        "\"text\"",
        good_asset.substr(0, good_asset.size() / 2),
        good_asset + "garbage",
        std::string("\xFF\xFE", 2),
        without(good_asset, "title"),
        without(good_asset, "id"),
        without(good_asset, "updated_at"),
        with(good_asset, "id", 5),
        with(good_asset, "id", "not-an-id"),
        with(good_asset, "title", nullptr),
        with(good_asset, "tags", "chuyển đổi số"),
        with(good_asset, "tags", json::array({1, 2})),
        with(good_asset, "revision", "4"),
        with(good_asset, "created_at", "2025-11-26T05:02:12.345Z"),
        with(good_asset, "deleted_at", "yesterday"),
    };
    for (const auto& bytes : bad_assets) {
        INFO("record: " << bytes);
        kho::result<asset> r = kho::make_error(errc::internal, "unset");
        REQUIRE_NOTHROW(r = kho::decode_asset_record(bytes));
        REQUIRE_FALSE(r.has_value());
        REQUIRE_FALSE(r.error().detail.empty());
    }
    std::vector<std::string> bad_versions{
        "",
        "{",
        "[]",
        "null",
        "{}",
        good_version.substr(0, good_version.size() - 1),
        without(good_version, "sha256"),
        with(good_version, "number", "2"),
        with(good_version, "size", "2457600"),
        with(good_version, "file_name", json::object()),
    };
    for (const auto& bytes : bad_versions) {
        INFO("record: " << bytes);
        kho::result<asset_version> r = kho::make_error(errc::internal, "unset");
        REQUIRE_NOTHROW(r = kho::decode_version_record(bytes));
        REQUIRE_FALSE(r.has_value());
        REQUIRE_FALSE(r.error().detail.empty());
    }
    SECTION("a record that is not valid JSON is reported as internal") {
        auto r = kho::decode_asset_record("{\"id\":");
        REQUIRE_FALSE(r.has_value());
        REQUIRE(r.error().code == errc::internal);
    }
}

TEST_CASE("to_api_json", "[asset][api]") {
    SECTION("asset") {
        auto a = sample_asset();
        auto j = kho::to_api_json(a);
        CHECK(j.at("id") == "01KAZ8MSBS7RQ4ZV1D8XE9J2MN");
        CHECK(j.at("title") == "Áp phích Nghị quyết 71");
        CHECK(j.at("tags") == json::array({"nghị quyết", "chuyển đổi số"}));
        CHECK(j.at("kind") == "poster");
        CHECK(j.at("campaign") == "Nghị quyết 71-NQ/TW");
        CHECK(j.at("language") == "vi");
        CHECK(j.at("revision") == 4);
        CHECK(j.at("version_count") == 2);
        CHECK(j.at("created_by") == "admin");
        CHECK(j.at("created_at") == "2025-11-26T05:02:12.345Z");
        CHECK(j.at("updated_at") == "2025-11-27T05:02:12.345Z");
        REQUIRE(j.contains("deleted_at"));
        CHECK(j.at("deleted_at").is_null());
        CHECK(is_rfc3339_ms(j.at("created_at").get<std::string>()));
        CHECK(is_rfc3339_ms(j.at("updated_at").get<std::string>()));
    }
    SECTION("asset in the trash") {
        auto a = sample_asset();
        a.deleted_at = 1767225599999;  // last millisecond of 2025
        auto j = kho::to_api_json(a);
        CHECK(j.at("deleted_at") == "2025-12-31T23:59:59.999Z");
    }
    SECTION("version") {
        auto j = kho::to_api_json(sample_version());
        CHECK(j.at("number") == 2);
        CHECK(j.at("sha256") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        CHECK(j.at("size") == 2'457'600);
        CHECK(j.at("content_type") == "image/png");
        CHECK(j.at("file_name") == "Áp phích \"Nghị quyết 71\" (bản in A0).png");
        CHECK(j.at("uploaded_by") == "admin");
        CHECK(j.at("created_at") == "2025-11-26T05:02:12.346Z");
    }
    SECTION("times at the edges") {
        CHECK(kho::format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
        CHECK(kho::format_rfc3339(999) == "1970-01-01T00:00:00.999Z");
        CHECK(kho::format_rfc3339(-1) == "1969-12-31T23:59:59.999Z");
        CHECK(kho::format_rfc3339(951'782'400'000) == "2000-02-29T00:00:00.000Z");
        for (kho::unix_ms t : {kho::unix_ms{0}, k_created, kho::unix_ms{4'102'444'800'000}})
            CHECK(is_rfc3339_ms(kho::format_rfc3339(t)));
    }
}
