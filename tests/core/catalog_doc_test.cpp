// Vietnamese folding as search sees it: what a person types without
// diacritics (or with them, or in another Unicode form) gives the same words
// as the stored text.

#include "core/catalog_doc.hpp"

#include <catch2/catch.hpp>

using kho::search_words;

namespace {

std::string joined(std::string_view text) {
    std::string out;
    for (const auto& w : search_words(text)) out += (out.empty() ? "" : " ") + w;
    return out;
}

}  // namespace

TEST_CASE("catalog_doc: Vietnamese folding table", "[catalog]") {
    // {as written, as typed on a keyboard without Vietnamese input}
    const std::pair<const char*, const char*> table[] = {
        {"Nghị quyết", "nghi quyet"},
        {"đào tạo", "dao tao"},
        {"Đào Tạo", "dao tao"},
        {"Bộ Giáo dục và Đào tạo", "bo giao duc va dao tao"},
        {"Đắk Lắk", "dak lak"},
        {"Thừa Thiên Huế", "thua thien hue"},
        {"Bà Rịa – Vũng Tàu", "ba ria vung tau"},
        {"giáo dục", "giao duc"},
        {"học sinh", "hoc sinh"},
        {"trường mầm non", "truong mam non"},
        {"sinh viên", "sinh vien"},
        {"phổ thông", "pho thong"},
        {"giáo dục thường xuyên", "giao duc thuong xuyen"},
        {"giáo dục nghề nghiệp", "giao duc nghe nghiep"},
        {"đại học", "dai hoc"},
        {"Áp phích", "ap phich"},
        {"Chuyển đổi số", "chuyen doi so"},
        {"an toàn giao thông", "an toan giao thong"},
        {"phòng chống đuối nước", "phong chong duoi nuoc"},
        {"Ngày Nhà giáo Việt Nam 20/11", "ngay nha giao viet nam 20 11"},
        {"Hà Nội", "ha noi"},
        {"Thành phố Hồ Chí Minh", "thanh pho ho chi minh"},
        {"Quảng Ngãi", "quang ngai"},
        {"Khánh Hòa", "khanh hoa"},
        {"Khánh Hoà", "khanh hoa"},  // the old tone placement
        {"ưu tiên", "uu tien"},
        {"tuyển sinh", "tuyen sinh"},
        {"bạo lực học đường", "bao luc hoc duong"},
        {"kỹ năng sống", "ky nang song"},
        {"Điện Biên", "dien bien"},
        {"ĐỒNG THÁP", "dong thap"},
        {"Tiếng Việt", "tieng viet"},
        {"thư viện số", "thu vien so"},
        {"Nghệ An", "nghe an"},
        {"sức khỏe", "suc khoe"},
        {"sức khoẻ", "suc khoe"},
        {"Nghi\xcc\xa3 quye\xcc\x82\xcc\x81t", "nghi quyet"},  // decomposed (NFD) input
        {"Nghị quyết 71-NQ/TW", "nghi quyet 71 nq tw"},
    };
    for (const auto& [written, typed] : table) {
        INFO(written);
        CHECK(joined(written) == typed);
        // Typing it with its diacritics gives the same words too.
        CHECK(joined(typed) == typed);
    }
}

TEST_CASE("catalog_doc: terms carry the fields they occur in", "[catalog]") {
    kho::asset a;
    a.meta.title = "Áp phích Nghị quyết 71";
    a.meta.description = "Tài liệu truyền thông cho trường học";
    a.meta.tags = {"chuyển đổi số"};
    a.meta.campaign = "Nghị quyết 71";
    a.meta.kind = kho::asset_kind::poster;
    auto d = kho::make_catalog_doc(a, {});
    auto fields_of = [&](std::string_view w) -> int {
        for (const auto& [term, f] : d.terms)
            if (term == w) return f;
        return 0;
    };
    CHECK(fields_of("nghi") == (kho::in_title | kho::in_campaign));
    CHECK(fields_of("so") == kho::in_tags);
    CHECK(fields_of("truong") == kho::in_description);
    CHECK(fields_of("poster") == kho::in_kind);
    CHECK(fields_of("ap") == (kho::in_title | kho::in_kind));
    CHECK(fields_of("absent") == 0);
    CHECK(kho::field_weight(kho::in_title | kho::in_description) == 8);
    CHECK(kho::folded_key("  Nghị   Quyết-71 ") == "nghi quyet 71");
    CHECK(std::is_sorted(d.terms.begin(), d.terms.end()));
}
