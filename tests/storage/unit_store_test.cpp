#include "storage/unit_store.hpp"
#include "core/units_csv.hpp"
#include "storage/audit_log.hpp"
#include "storage/database.hpp"

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/units_fixtures.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using kho::audit_context;
using kho::audit_entry;
using kho::education_level;
using kho::errc;
using kho::unit;
using kho::storage::audit_filter;
using kho::storage::audit_log;
using kho::storage::database;
using kho::storage::unit_filter;
using kho::storage::unit_import_report;
using kho::storage::unit_patch;
using kho::storage::unit_store;

namespace {

using kho::test::temp_dir;

// 2025-11-26T05:02:12.000Z
constexpr kho::unix_ms k_start = 1764133332000;

const audit_context k_admin{"01JDQ5ZJ8Y0000000000000000", "203.113.130.7"};

using kho::test::k_provinces;
using kho::test::make_unit;

// A database, an audit log and a unit store with a clock the test moves by
// hand. close() + open() simulates a restart.
class unit_env {
  public:
    unit_env() { open(); }
    ~unit_env() { close(); }
    unit_env(const unit_env&) = delete;
    unit_env& operator=(const unit_env&) = delete;

    void open() {
        db = kho::test::open_test_database(dir.path() / "db");
        audit = std::make_unique<audit_log>(*db, kho::clock([this] { return now; }));
        units = std::make_unique<unit_store>(*db, *audit, kho::clock([this] { return now; }));
        REQUIRE(units->load().has_value());
    }

    void close() {
        units.reset();
        audit.reset();
        db.reset();
    }

    unit create(unit u) {
        auto r = units->create(std::move(u), k_admin);
        INFO((r ? std::string() : r.error().detail));
        REQUIRE(r.has_value());
        return *r;
    }

    // The basic tree: Ministry, two departments, a school and a university.
    void seed() {
        create(make_unit("BGDDT", "Bộ Giáo dục và Đào tạo"));
        create(make_unit("SGD-HN", "Sở GDĐT Hà Nội", "BGDDT", "Hà Nội"));
        create(make_unit("SGD-HCM", "Sở GDĐT Thành phố Hồ Chí Minh", "BGDDT",
                         "Thành phố Hồ Chí Minh"));
        create(make_unit("THPT-CHU-VAN-AN", "Trường THPT Chu Văn An", "SGD-HN", "Hà Nội",
                         education_level::upper_secondary));
        create(make_unit("DHBK-HN", "Đại học Bách khoa Hà Nội", "BGDDT", "Hà Nội",
                         education_level::higher));
    }

    std::vector<audit_entry> audit_entries(const std::string& action_or_prefix) const {
        audit_filter f;
        f.action = action_or_prefix;
        auto page = audit->list(f, std::nullopt, 1000);
        REQUIRE(page.has_value());
        return page->items;
    }

    std::vector<std::string> codes(const unit_filter& f = {}) const {
        std::vector<std::string> out;
        for (const auto& u : units->list(f)) out.push_back(u.code);
        return out;
    }

    temp_dir dir;
    kho::unix_ms now = k_start;
    std::unique_ptr<database> db;
    std::unique_ptr<audit_log> audit;
    std::unique_ptr<unit_store> units;
};

// The Ministry, the 34 departments and one school per department, in a
// shuffled order (a parent may come after its children).
std::string national_csv(unsigned seed) {
    std::vector<std::string> rows = {"BGDDT,Bộ Giáo dục và Đào tạo,,,"};
    for (std::size_t i = 0; i < k_provinces.size(); ++i) {
        auto sgd = "SGD-" + std::to_string(i + 1);
        rows.push_back(sgd + ",Sở GDĐT " + k_provinces[i] + ",BGDDT," + k_provinces[i] + ",");
        auto level =
            kho::to_string(kho::all_education_levels()[i % kho::all_education_levels().size()]);
        rows.push_back("T-" + std::to_string(i + 1) + ",\"Trường \"\"" + k_provinces[i] +
                       "\"\", cơ sở 1\"," + sgd + ",\"" + k_provinces[i] + "\"," +
                       std::string(level));
    }
    std::mt19937 rng(seed);
    std::shuffle(rows.begin(), rows.end(), rng);
    std::string csv =
        "\xEF\xBB\xBF"
        "code,name,parent_code,province,level\r\n";
    for (const auto& r : rows) csv += r + "\r\n";
    return csv;
}

// Errors as "line: message" lines, for readable failures.
std::string describe(const std::vector<kho::csv_row_error>& errors) {
    std::string out;
    for (const auto& e : errors) out += std::to_string(e.line) + ": " + e.message + "\n";
    return out;
}

unit_import_report import_ok(unit_env& env, const std::string& csv) {
    auto r = env.units->import_csv(csv, k_admin);
    REQUIRE(r.has_value());
    INFO(describe(r->errors));
    REQUIRE(r->errors.empty());
    return *r;
}

bool mentions(const unit_import_report& r, std::size_t line, const std::string& text) {
    for (const auto& e : r.errors)
        if (e.line == line && e.message.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("unit store creates, reads and lists units", "[units]") {
    unit_env env;
    CHECK(env.units->size() == 0);
    env.seed();
    CHECK(env.units->size() == 5);

    auto school = env.units->get("THPT-CHU-VAN-AN");
    REQUIRE(school.has_value());
    CHECK(school->name == "Trường THPT Chu Văn An");
    CHECK(school->level == education_level::upper_secondary);
    CHECK(school->created_at == k_start);
    CHECK(school->updated_at == k_start);
    CHECK_FALSE(env.units->get("SGD-DN").has_value());

    CHECK(env.codes() ==
          std::vector<std::string>{"BGDDT", "DHBK-HN", "SGD-HCM", "SGD-HN", "THPT-CHU-VAN-AN"});

    unit_filter children;
    children.parent = "BGDDT";
    CHECK(env.codes(children) == std::vector<std::string>{"DHBK-HN", "SGD-HCM", "SGD-HN"});
    children.parent = "";
    CHECK(env.codes(children) == std::vector<std::string>{"BGDDT"});
    children.parent = "THPT-CHU-VAN-AN";
    CHECK(env.codes(children).empty());

    unit_filter province;
    province.province = "Hà Nội";
    CHECK(env.codes(province) == std::vector<std::string>{"DHBK-HN", "SGD-HN", "THPT-CHU-VAN-AN"});
    province.level = education_level::higher;
    CHECK(env.codes(province) == std::vector<std::string>{"DHBK-HN"});

    unit_filter query;
    query.query = "chu van";  // no diacritics, any case
    CHECK(env.codes(query) == std::vector<std::string>{"THPT-CHU-VAN-AN"});
    query.query = "HỒ CHÍ";
    CHECK(env.codes(query) == std::vector<std::string>{"SGD-HCM"});
    query.query = "sgd-h";  // matches the code
    CHECK(env.codes(query) == std::vector<std::string>{"SGD-HCM", "SGD-HN"});
    query.query = "dao tao";
    query.parent = "";
    CHECK(env.codes(query) == std::vector<std::string>{"BGDDT"});
}

TEST_CASE("unit store answers ancestors and is_within", "[units]") {
    unit_env env;
    env.seed();
    CHECK(env.units->ancestors("THPT-CHU-VAN-AN") == std::vector<std::string>{"SGD-HN", "BGDDT"});
    CHECK(env.units->ancestors("SGD-HN") == std::vector<std::string>{"BGDDT"});
    CHECK(env.units->ancestors("BGDDT").empty());
    CHECK(env.units->ancestors("NO-SUCH").empty());

    CHECK(env.units->is_within("THPT-CHU-VAN-AN", "THPT-CHU-VAN-AN"));
    CHECK(env.units->is_within("THPT-CHU-VAN-AN", "SGD-HN"));
    CHECK(env.units->is_within("THPT-CHU-VAN-AN", "BGDDT"));
    CHECK_FALSE(env.units->is_within("THPT-CHU-VAN-AN", "SGD-HCM"));
    CHECK_FALSE(env.units->is_within("SGD-HN", "THPT-CHU-VAN-AN"));
    CHECK_FALSE(env.units->is_within("NO-SUCH", "BGDDT"));
    CHECK_FALSE(env.units->is_within("NO-SUCH", "NO-SUCH"));
}

TEST_CASE("unit store refuses duplicates, a second root, unknown parents and bad units",
          "[units]") {
    unit_env env;
    env.seed();
    auto audits = env.audit_entries("unit.").size();

    auto dup = env.units->create(make_unit("SGD-HN", "Sở GDĐT Hà Nội (2)", "BGDDT"), k_admin);
    REQUIRE_FALSE(dup.has_value());
    CHECK(dup.error().code == errc::conflict);

    auto root = env.units->create(make_unit("BO-KHAC", "Bộ khác"), k_admin);
    REQUIRE_FALSE(root.has_value());
    CHECK(root.error().code == errc::unprocessable);
    CHECK(root.error().detail.find("\"BGDDT\" is already the root") != std::string::npos);

    auto orphan =
        env.units->create(make_unit("SGD-DN", "Sở GDĐT Đà Nẵng", "BGD", "Đà Nẵng"), k_admin);
    REQUIRE_FALSE(orphan.has_value());
    CHECK(orphan.error().code == errc::unprocessable);
    CHECK(orphan.error().detail.find("\"BGD\"") != std::string::npos);

    auto bad = env.units->create(make_unit("SGD DN", "Sở GDĐT Đà Nẵng", "BGDDT"), k_admin);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == errc::invalid_parameter);

    CHECK(env.units->size() == 5);
    CHECK(env.audit_entries("unit.").size() == audits);
}

TEST_CASE("unit store updates fields and moves units without cycles", "[units]") {
    unit_env env;
    env.seed();
    env.now += 60'000;

    unit_patch p;
    p.name = "  Trường THPT Chu Văn An - Hà Nội ";
    p.level = education_level::lower_secondary;
    auto r = env.units->update("THPT-CHU-VAN-AN", p, k_admin);
    REQUIRE(r.has_value());
    CHECK(r->name == "Trường THPT Chu Văn An - Hà Nội");
    CHECK(r->level == education_level::lower_secondary);
    CHECK(r->created_at == k_start);
    CHECK(r->updated_at == k_start + 60'000);
    CHECK(env.units->get("THPT-CHU-VAN-AN")->name == "Trường THPT Chu Văn An - Hà Nội");

    auto updates = env.audit_entries("unit.updated");
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].target == "unit:THPT-CHU-VAN-AN");
    CHECK(updates[0].actor == k_admin.actor);
    CHECK(updates[0].client_address == k_admin.client_address);
    CHECK(updates[0].detail.at("name").at("from") == "Trường THPT Chu Văn An");
    CHECK(updates[0].detail.at("name").at("to") == "Trường THPT Chu Văn An - Hà Nội");
    CHECK(updates[0].detail.at("level").at("to") == "lower_secondary");
    CHECK_FALSE(updates[0].detail.contains("province"));

    SECTION("a patch that changes nothing writes nothing") {
        auto again = env.units->update("THPT-CHU-VAN-AN", p, k_admin);
        REQUIRE(again.has_value());
        CHECK(again->updated_at == k_start + 60'000);
        CHECK(env.audit_entries("unit.updated").size() == 1);
    }
    SECTION("move a school to another department") {
        unit_patch move;
        move.parent_code = "SGD-HCM";
        move.province = "Thành phố Hồ Chí Minh";
        REQUIRE(env.units->update("THPT-CHU-VAN-AN", move, k_admin).has_value());
        CHECK(env.units->ancestors("THPT-CHU-VAN-AN") ==
              std::vector<std::string>{"SGD-HCM", "BGDDT"});
        unit_filter f;
        f.parent = "SGD-HN";
        CHECK(env.codes(f).empty());
        f.parent = "SGD-HCM";
        CHECK(env.codes(f) == std::vector<std::string>{"THPT-CHU-VAN-AN"});
    }
    SECTION("cycles are refused") {
        unit_patch cycle;
        cycle.parent_code = "THPT-CHU-VAN-AN";
        auto c = env.units->update("SGD-HN", cycle, k_admin);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.error().code == errc::unprocessable);
        CHECK(c.error().detail.find("SGD-HN -> THPT-CHU-VAN-AN -> SGD-HN") != std::string::npos);

        cycle.parent_code = "SGD-HN";  // the root under its grandchild's parent
        c = env.units->update("BGDDT", cycle, k_admin);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.error().code == errc::unprocessable);

        cycle.parent_code = "SGD-HN";  // its own parent
        c = env.units->update("SGD-HN", cycle, k_admin);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.error().code == errc::invalid_parameter);
        CHECK(env.units->ancestors("SGD-HN") == std::vector<std::string>{"BGDDT"});
    }
    SECTION("a second root, an unknown parent, an unknown unit and bad values are refused") {
        unit_patch root;
        root.parent_code = "";
        auto c = env.units->update("SGD-HN", root, k_admin);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.error().code == errc::unprocessable);

        unit_patch orphan;
        orphan.parent_code = "SGD-XX";
        c = env.units->update("SGD-HN", orphan, k_admin);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.error().code == errc::unprocessable);

        c = env.units->update("SGD-XX", p, k_admin);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.error().code == errc::not_found);

        unit_patch empty_name;
        empty_name.name = " ";
        c = env.units->update("SGD-HN", empty_name, k_admin);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.error().code == errc::invalid_parameter);
        CHECK(env.audit_entries("unit.updated").size() == 1);
    }
}

TEST_CASE("unit store removes leaves only, and not units in use", "[units]") {
    unit_env env;
    env.seed();

    auto parent = env.units->remove("SGD-HN", k_admin);
    REQUIRE_FALSE(parent.has_value());
    CHECK(parent.error().code == errc::conflict);
    CHECK(parent.error().detail.find("child") != std::string::npos);

    std::vector<std::string> asked;
    env.units->set_in_use_check([&](std::string_view code) {
        asked.emplace_back(code);
        // The check may read the store.
        return code == "DHBK-HN" && env.units->get(code).has_value();
    });
    auto used = env.units->remove("DHBK-HN", k_admin);
    REQUIRE_FALSE(used.has_value());
    CHECK(used.error().code == errc::conflict);
    CHECK(asked == std::vector<std::string>{"DHBK-HN"});

    REQUIRE(env.units->remove("THPT-CHU-VAN-AN", k_admin).has_value());
    CHECK_FALSE(env.units->get("THPT-CHU-VAN-AN").has_value());
    REQUIRE(env.units->remove("SGD-HN", k_admin).has_value());
    CHECK(env.units->size() == 3);

    auto missing = env.units->remove("SGD-HN", k_admin);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == errc::not_found);

    auto deleted = env.audit_entries("unit.deleted");
    REQUIRE(deleted.size() == 2);
    CHECK(deleted[0].target == "unit:SGD-HN");  // newest first
    CHECK(deleted[1].target == "unit:THPT-CHU-VAN-AN");
    CHECK(deleted[1].detail.at("name") == "Trường THPT Chu Văn An");

    env.close();
    env.open();
    CHECK(env.codes() == std::vector<std::string>{"BGDDT", "DHBK-HN", "SGD-HCM"});
}

TEST_CASE("unit store writes an audit entry for each change", "[units]") {
    unit_env env;
    env.seed();
    auto created = env.audit_entries("unit.created");
    REQUIRE(created.size() == 5);
    CHECK(created.back().target == "unit:BGDDT");  // oldest last
    CHECK(created.front().target == "unit:DHBK-HN");
    CHECK(created.front().detail.at("parent_code") == "BGDDT");
    CHECK(created.front().detail.at("level") == "higher");
    for (const auto& e : created) {
        CHECK(e.actor == k_admin.actor);
        CHECK(e.at == k_start);
    }
}

TEST_CASE("unit store keeps the tree across a restart", "[units]") {
    unit_env env;
    env.seed();
    unit_patch p;
    p.province = "Hà Nội (cơ sở 2)";
    env.now += 1000;
    REQUIRE(env.units->update("DHBK-HN", p, k_admin).has_value());

    env.close();
    env.open();
    CHECK(env.units->size() == 5);
    auto u = env.units->get("DHBK-HN");
    REQUIRE(u.has_value());
    CHECK(u->province == "Hà Nội (cơ sở 2)");
    CHECK(u->name == "Đại học Bách khoa Hà Nội");
    CHECK(u->created_at == k_start);
    CHECK(u->updated_at == k_start + 1000);
    CHECK(env.units->ancestors("THPT-CHU-VAN-AN") == std::vector<std::string>{"SGD-HN", "BGDDT"});
    // The single-root rule holds after the reload.
    auto root = env.units->create(make_unit("BO-KHAC", "Bộ khác"), k_admin);
    REQUIRE_FALSE(root.has_value());
    CHECK(root.error().code == errc::unprocessable);
}

TEST_CASE("unit import creates, updates and leaves identical units alone", "[units]") {
    unit_env env;
    auto csv = national_csv(71);
    auto first = import_ok(env, csv);
    CHECK(first.created == 69);
    CHECK(first.updated == 0);
    CHECK(first.unchanged == 0);
    CHECK(env.units->size() == 69);
    CHECK(env.units->get("SGD-5")->name == "Sở GDĐT Thành phố Hồ Chí Minh");
    CHECK(env.units->get("T-4")->name == "Trường \"Đà Nẵng\", cơ sở 1");
    CHECK(env.units->ancestors("T-34") == std::vector<std::string>{"SGD-34", "BGDDT"});
    CHECK(env.units->get("T-34")->province == "An Giang");

    auto imports = env.audit_entries("unit.imported");
    REQUIRE(imports.size() == 1);
    CHECK(imports[0].target == "units");
    CHECK(imports[0].actor == k_admin.actor);
    CHECK(imports[0].detail == nlohmann::json{{"created", 69}, {"updated", 0}, {"unchanged", 0}});
    // One entry for the whole import, none per unit.
    CHECK(env.audit_entries("unit.created").empty());

    env.now += 5000;
    SECTION("the same file again changes nothing") {
        auto again = import_ok(env, national_csv(20));  // same rows, another order
        CHECK(again.created == 0);
        CHECK(again.updated == 0);
        CHECK(again.unchanged == 69);
        CHECK(env.units->get("SGD-1")->updated_at == k_start);
        CHECK(env.audit_entries("unit.imported").size() == 2);
    }
    SECTION("a changed file updates what changed and adds what is new") {
        std::string change =
            "code,name,level,parent_code\n"
            "T-1,Trường Mầm non Hoa Sen,preschool,SGD-1\n"         // renamed
            "T-2,\"Trường \"\"Huế\"\", cơ sở 1\",primary,SGD-2\n"  // province cleared
            "T-2B,Trường THCS Nguyễn Du,lower_secondary,SGD-2\n";  // new
        // An absent column means empty: T-2 loses its province.
        auto r = import_ok(env, change);
        CHECK(r.created == 1);
        CHECK(r.updated == 2);
        CHECK(r.unchanged == 0);
        auto t2 = env.units->get("T-2");
        REQUIRE(t2.has_value());
        CHECK(t2->name == "Trường \"Huế\", cơ sở 1");
        CHECK(t2->province.empty());
        CHECK(t2->created_at == k_start);
        CHECK(t2->updated_at == k_start + 5000);
        CHECK(env.units->get("T-2B")->created_at == k_start + 5000);
        CHECK(env.units->size() == 70);
        CHECK(env.audit_entries("unit.imported").front().detail ==
              nlohmann::json{{"created", 1}, {"updated", 2}, {"unchanged", 0}});
    }
    SECTION("the tree survives a restart") {
        env.close();
        env.open();
        CHECK(env.units->size() == 69);
        CHECK(env.units->is_within("T-17", "SGD-17"));
        CHECK(env.units->is_within("T-17", "BGDDT"));
    }
}

TEST_CASE("unit export then import into an empty database gives the same tree", "[units]") {
    std::string exported;
    std::vector<unit> before;
    {
        unit_env env;
        env.seed();
        import_ok(env, national_csv(3));  // the root matches; the rest is added
        exported = env.units->export_csv();
        before = env.units->list({});
    }
    CHECK(exported.rfind("\xEF\xBB\xBF"
                         "code,name,parent_code,province,level\r\n",
                         0) == 0);

    unit_env fresh;
    auto r = import_ok(fresh, exported);
    CHECK(r.created == before.size());
    auto after = fresh.units->list({});
    REQUIRE(after.size() == before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
        CHECK(after[i].code == before[i].code);
        CHECK(after[i].name == before[i].name);
        CHECK(after[i].parent_code == before[i].parent_code);
        CHECK(after[i].province == before[i].province);
        CHECK(after[i].level == before[i].level);
    }
    CHECK(fresh.units->export_csv() == exported);
}

TEST_CASE("a unit import with any bad row writes nothing and reports every error", "[units]") {
    unit_env env;
    env.seed();
    auto before = env.units->export_csv();
    auto audits = env.audit_entries("unit.").size();

    std::string csv =
        "\xEF\xBB\xBF"
        "code,name,parent_code,province,level\r\n"                         // 1
        "SGD-DN,Sở GDĐT Đà Nẵng,BGDDT,Đà Nẵng,\r\n"                        // 2 ok
        "SGD-HN,Sở GDĐT Thủ đô Hà Nội,BGDDT,Hà Nội,\r\n"                   // 3 ok (update)
        "THPT-LQD,Trường THPT chuyên Lê Quý Đôn,SGD-DN,Đà Nẵng,THPT\r\n"   // 4 level
        "SGD-CT,Sở GDĐT Cần Thơ,BGDDT,Cần Thơ\r\n"                         // 5 fields
        "BO-KHAC,Bộ Khoa học và Công nghệ,,,\r\n"                          // 6 second root
        "THCS-X,Trường THCS Xuân Đỉnh,SGD-HNN,Hà Nội,lower_secondary\r\n"  // 7 parent
        "SGD-DN,Sở GDĐT Đà Nẵng (2),BGDDT,Đà Nẵng,\r\n"                    // 8 dup
        "A,Đơn vị A,B,,\r\n"                                               // 9 cycle
        "B,Đơn vị B,C,,\r\n"                                               // 10
        "C,Đơn vị C,A,,\r\n"                                               // 11
        "SGD-HCM,Sở GDĐT TP.HCM,THPT-CHU-VAN-AN,,\r\n"                     // 12 ok alone
        "THPT-CHU-VAN-AN,Trường THPT Chu Văn An,SGD-HCM,Hà Nội,upper_secondary\r\n"  // 13 cycle
        "SGD-HP,\"Sở GDĐT Hải Phòng,BGDDT,Hải Phòng,\r\n";                           // 14 quote
    auto r = env.units->import_csv(csv, k_admin);
    REQUIRE(r.has_value());
    INFO(describe(r->errors));

    CHECK(mentions(*r, 4, "level \"THPT\""));
    CHECK(mentions(*r, 5, "4 values"));
    CHECK(mentions(*r, 6, "\"BGDDT\" is already the root"));
    CHECK(mentions(*r, 7, "parent_code \"SGD-HNN\" is neither an existing unit nor a valid row"));
    CHECK(mentions(*r, 8, "already appears on line 2"));
    CHECK(mentions(*r, 9, "A -> B -> C -> A"));
    CHECK(mentions(*r, 12, "SGD-HCM -> THPT-CHU-VAN-AN -> SGD-HCM"));
    CHECK(mentions(*r, 14, "no closing quote"));
    CHECK(r->errors.size() == 8);
    for (std::size_t i = 1; i < r->errors.size(); ++i)
        CHECK(r->errors[i - 1].line <= r->errors[i].line);
    CHECK(r->created == 0);
    CHECK(r->updated == 0);

    CHECK(env.units->export_csv() == before);
    CHECK(env.units->get("SGD-HN")->name == "Sở GDĐT Hà Nội");
    CHECK_FALSE(env.units->get("SGD-DN").has_value());
    CHECK(env.audit_entries("unit.").size() == audits);
    env.close();
    env.open();
    CHECK(env.units->export_csv() == before);
}

TEST_CASE("a unit import checks the tree against the stored units", "[units]") {
    unit_env env;
    env.seed();

    SECTION("a parent may be stored already or come later in the file") {
        auto r = import_ok(env,
                           "code,name,parent_code,province,level\n"
                           "THCS-X,Trường THCS Xuân Đỉnh,PGD-BTL,Hà Nội,lower_secondary\n"
                           "PGD-BTL,Phòng GDĐT Bắc Từ Liêm,SGD-HN,Hà Nội,\n");
        CHECK(r.created == 2);
        CHECK(env.units->ancestors("THCS-X") ==
              std::vector<std::string>{"PGD-BTL", "SGD-HN", "BGDDT"});
    }
    SECTION("the file may move the root under a new root it also brings") {
        auto r = import_ok(env,
                           "code,name,parent_code\n"
                           "BGDDT,Bộ Giáo dục và Đào tạo,CP\n"
                           "CP,Chính phủ,\n");
        CHECK(r.created == 1);
        CHECK(r.updated == 1);
        CHECK(env.units->ancestors("THPT-CHU-VAN-AN") ==
              std::vector<std::string>{"SGD-HN", "BGDDT", "CP"});
        auto root = env.units->create(make_unit("BO-KHAC", "Bộ khác"), k_admin);
        REQUIRE_FALSE(root.has_value());
        CHECK(root.error().detail.find("\"CP\"") != std::string::npos);
    }
    SECTION("two roots in a file for an empty store") {
        unit_env empty;
        auto r = empty.units->import_csv(
            "code,name,parent_code\n"
            "BGDDT,Bộ Giáo dục và Đào tạo,\n"
            "BKHCN,Bộ Khoa học và Công nghệ,\n",
            k_admin);
        REQUIRE(r.has_value());
        REQUIRE(r->errors.size() == 1);
        CHECK(mentions(*r, 3, "\"BGDDT\" on line 2 is already the root"));
        CHECK(empty.units->size() == 0);
    }
    SECTION("a cycle through a stored unit") {
        auto r = env.units->import_csv(
            "code,name,parent_code\n"
            "SGD-HN,Sở GDĐT Hà Nội,THPT-CHU-VAN-AN\n",
            k_admin);
        REQUIRE(r.has_value());
        REQUIRE(r->errors.size() == 1);
        CHECK(mentions(*r, 2, "SGD-HN -> THPT-CHU-VAN-AN -> SGD-HN"));
        CHECK(env.units->ancestors("SGD-HN") == std::vector<std::string>{"BGDDT"});
    }
    SECTION("a syntax error alone still writes nothing") {
        auto r = env.units->import_csv("code,name,parent_code\nSGD-DN,Sở GDĐT Đà Nẵng\n", k_admin);
        REQUIRE(r.has_value());
        CHECK(r->errors.size() == 1);
        CHECK(env.units->size() == 5);
        CHECK(env.audit_entries("unit.imported").empty());
    }
}

TEST_CASE("unit store readers run while units change", "[units]") {
    unit_env env;
    env.seed();
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::thread reader([&] {
        while (!stop) {
            if (env.units->ancestors("THPT-CHU-VAN-AN").size() != 2) ++bad;
            if (!env.units->is_within("THPT-CHU-VAN-AN", "BGDDT")) ++bad;
            (void)env.units->list({});
        }
    });
    for (int i = 0; i < 50; ++i)
        env.create(make_unit("T-" + std::to_string(i), "Trường số " + std::to_string(i), "SGD-HN",
                             "Hà Nội", education_level::primary));
    stop = true;
    reader.join();
    CHECK(bad == 0);
    CHECK(env.units->size() == 55);
}
