#include "api/http_message.hpp"

#include <algorithm>

namespace kho::api {

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    // ASCII only (header names are tokens); no locale lookups.
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::optional<std::string_view> header_list::get(std::string_view name) const {
    for (const auto& [n, v] : fields_)
        if (iequals(n, name)) return std::string_view(v);
    return std::nullopt;
}

std::vector<std::string_view> header_list::get_all(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& [n, v] : fields_)
        if (iequals(n, name)) out.emplace_back(v);
    return out;
}

void header_list::set(std::string_view name, std::string value) {
    erase(name);
    fields_.emplace_back(std::string(name), std::move(value));
}

void header_list::add(std::string_view name, std::string value) {
    fields_.emplace_back(std::string(name), std::move(value));
}

void header_list::erase(std::string_view name) {
    std::erase_if(fields_, [&](const auto& f) { return iequals(f.first, name); });
}

std::uint64_t response::content_length() const {
    std::uint64_t n = 0;
    for (const auto& s : body) {
        if (const auto* str = std::get_if<std::string>(&s))
            n += str->size();
        else
            n += std::get<file_segment>(s).length;
    }
    return n;
}

void response::set_body(std::string bytes, std::string content_type) {
    body.clear();
    body.emplace_back(std::move(bytes));
    headers.set("Content-Type", std::move(content_type));
}

boost::asio::awaitable<result<std::string>> read_body(request& req, std::size_t max_bytes) {
    std::string out;
    for (;;) {
        auto chunk = co_await req.body->next();
        if (!chunk) co_return chunk.error();
        if (chunk->empty()) break;
        if (out.size() + chunk->size() > max_bytes)
            co_return make_error(errc::payload_too_large,
                                 "the body is larger than " + std::to_string(max_bytes) + " bytes");
        out.append(*chunk);
    }
    co_return out;
}

file_segment segment_of(const storage::blob_file& file, std::uint64_t offset, std::uint64_t length) {
    return file_segment{file.fd, offset, length, file.remote, {}};
}

}  // namespace kho::api
