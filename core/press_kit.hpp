#pragma once
// Press kits: a press release (Markdown), a press contact and an ordered
// list of approved asset versions with caption and credit, released to
// journalists and share links from `embargo_until` until `expires_at`.

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/policy.hpp"
#include "core/ulid.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kho {

struct press_kit_item {
    ulid asset;
    std::uint32_t version = 0;
    std::string file = "original";  // "original" or a rendition name ("web", "video_720p"...)
    std::string caption;
    std::string credit;
};

struct press_kit {
    ulid id;
    std::string title;
    std::string release;  // Markdown
    std::string contact;  // press contact: name, phone, e-mail (free text)
    std::vector<press_kit_item> items;
    std::optional<unix_ms> embargo_until;
    std::optional<unix_ms> expires_at;
    std::string created_by;
    unix_ms created_at = 0;
    unix_ms updated_at = 0;
    std::uint64_t revision = 1;

    press_kit_facts facts() const { return {embargo_until, expires_at}; }
};

struct press_kit_limits {
    std::size_t max_items = 1000;            // Default: 1000 (open files while a ZIP streams)
    std::size_t max_title_bytes = 300;       // Default: 300
    std::size_t max_release_bytes = 200000;  // Default: 200 kB of Markdown
    std::size_t max_text_bytes = 2000;       // Default: 2000 (contact, caption, credit)
};

// A create (every field) or PATCH (only present fields) body. Items replace
// the whole list. `null` clears embargo_until / expires_at.
struct press_kit_input {
    std::optional<std::string> title, release, contact;
    std::optional<std::vector<press_kit_item>> items;
    std::optional<std::optional<unix_ms>> embargo_until, expires_at;
};

// Checks types, lengths, UTF-8, item shape (asset id, version >= 1, file
// name) and dates (RFC 3339). errc::invalid_parameter naming the field.
result<press_kit_input> parse_press_kit_input(const nlohmann::json& body,
                                              const press_kit_limits& limits = {});

// Applies an input to a kit; errc::invalid_parameter when a create lacks a
// title, or expires_at is not later than embargo_until.
result<press_kit> apply_input(press_kit kit, const press_kit_input& in, bool creating);

enum class press_kit_status { embargoed, released, expired };
press_kit_status status_at(const press_kit& k, unix_ms now) noexcept;
std::string_view to_string(press_kit_status s) noexcept;
// When the kit was (or will be) out: its embargo's end, else its creation.
unix_ms released_at(const press_kit& k) noexcept;

std::string encode_record(const press_kit& k);
result<press_kit> decode_press_kit_record(std::string_view bytes);

}  // namespace kho
