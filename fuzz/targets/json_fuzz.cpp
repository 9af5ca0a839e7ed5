// JSON request bodies: nlohmann's parser as read_json_object calls it, the
// field validators of api/json_body.hpp, and the body parsers the handlers
// hand those objects to (asset metadata PATCH, approval audience and window,
// press kit input). Properties: nothing throws; validators agree with the
// JSON types; whatever a parser accepts is clean (UTF-8, no controls, within
// limits) and survives a second round; a response built from any parsed
// value (json_response's dump) is valid JSON.
//
// Input: a request body.

#include "api/json_body.hpp"
#include "core/asset.hpp"
#include "core/audience.hpp"
#include "core/press_kit.hpp"
#include "fuzz/fuzz_support.hpp"
#include "fuzz/metadata_checks.hpp"

using json = nlohmann::json;

namespace {

void check_fields(const json& body) {
    bool all_known = true;
    for (const auto& [k, v] : body.items()) {
        (void)v;
        all_known &= k == "title" || k == "comment";
    }
    auto only = kho::api::only_fields(body, {"title", "comment"});
    KHO_FUZZ_CHECK(only.has_value() == all_known);

    for (const auto& [k, v] : body.items()) {
        auto s = kho::api::string_field(body, k);
        KHO_FUZZ_CHECK(s.has_value() == (v.is_string() || v.is_null()));
        if (s && v.is_string()) KHO_FUZZ_CHECK(*s && **s == v.get<std::string>());
        auto b = kho::api::bool_field(body, k);
        KHO_FUZZ_CHECK(b.has_value() == (v.is_boolean() || v.is_null()));
        if (b && v.is_boolean()) KHO_FUZZ_CHECK(*b && **b == v.get<bool>());
    }
}

void check_metadata_patch(const json& body) {
    auto p = kho::parse_metadata_patch(body);
    if (!p) {
        KHO_FUZZ_CHECK(p.error().code == kho::errc::invalid_parameter);
        return;
    }
    kho::asset_metadata current;
    current.title = "Áp phích";
    auto m = kho::apply_patch(current, *p);
    if (!m) {
        KHO_FUZZ_CHECK(m.error().code == kho::errc::invalid_parameter);
        return;
    }
    kho::fuzz::check_validated_metadata(*m);
}

void check_audience(const json& j) {
    auto known = [](std::string_view code) { return code == "HN" || code == "HUE-01"; };
    auto a = kho::parse_audience(j, known);
    if (!a) {
        KHO_FUZZ_CHECK(a.error().code == kho::errc::invalid_parameter);
        return;
    }
    KHO_FUZZ_CHECK(
        !(a->all_units && (!a->provinces.empty() || !a->levels.empty() || !a->units.empty())));
    for (const auto& u : a->units) KHO_FUZZ_CHECK(known(u));
    for (const auto& p : a->provinces) KHO_FUZZ_CHECK(kho::fuzz::is_valid_utf8(p));
    // What is stored reads back the same.
    auto stored = kho::to_json(*a);
    auto back = kho::parse_audience(stored, known);
    KHO_FUZZ_CHECK(back && kho::to_json(*back) == stored);
}

void check_press_kit(const json& body) {
    const kho::press_kit_limits limits;
    auto in = kho::parse_press_kit_input(body, limits);
    if (!in) {
        KHO_FUZZ_CHECK(in.error().code == kho::errc::invalid_parameter);
        return;
    }
    if (in->title)
        KHO_FUZZ_CHECK(in->title->size() <= limits.max_title_bytes &&
                       kho::fuzz::is_valid_utf8(*in->title));
    if (in->release)
        KHO_FUZZ_CHECK(in->release->size() <= limits.max_release_bytes &&
                       kho::fuzz::is_valid_utf8(*in->release));
    if (in->contact)
        KHO_FUZZ_CHECK(in->contact->size() <= limits.max_text_bytes &&
                       kho::fuzz::is_valid_utf8(*in->contact));
    if (in->items) {
        KHO_FUZZ_CHECK(in->items->size() <= limits.max_items);
        for (const auto& item : *in->items) {
            KHO_FUZZ_CHECK(item.version >= 1);
            KHO_FUZZ_CHECK(item.caption.size() <= limits.max_text_bytes &&
                           kho::fuzz::is_valid_utf8(item.caption));
            KHO_FUZZ_CHECK(item.credit.size() <= limits.max_text_bytes &&
                           kho::fuzz::is_valid_utf8(item.credit));
            KHO_FUZZ_CHECK(!item.file.empty() && kho::fuzz::is_valid_utf8(item.file));
        }
    }
    if (in->embargo_until && *in->embargo_until && in->expires_at && *in->expires_at) {
        kho::press_kit kit;
        auto applied = kho::apply_input(kit, *in, true);
        if (applied) KHO_FUZZ_CHECK(*applied->expires_at > *applied->embargo_until);
    }
}

void check_window_bounds(const json& body) {
    for (const auto& [k, v] : body.items()) {
        (void)k;
        if (!v.is_string()) continue;
        for (bool until : {false, true}) {
            auto t = kho::parse_window_bound(v.get<std::string>(), until);
            if (!t) KHO_FUZZ_CHECK(t.error().code == kho::errc::invalid_parameter);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return 0;

    // An answer that echoes anything parsed is still JSON (invalid UTF-8
    // replaced), and its text is stable.
    std::string out;
    for (const auto& part : kho::api::json_response(200, j).body)
        out += std::get<std::string>(part);
    json echoed = json::parse(out, nullptr, false);
    KHO_FUZZ_CHECK(!echoed.is_discarded());
    KHO_FUZZ_CHECK(echoed.dump() == json::parse(echoed.dump()).dump());

    if (!j.is_object()) return 0;
    check_fields(j);
    check_metadata_patch(j);
    check_audience(j.contains("audience") ? j["audience"] : j);
    check_press_kit(j);
    check_window_bounds(j);
    return 0;
}
