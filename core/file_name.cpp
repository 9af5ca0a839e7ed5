#include "core/file_name.hpp"

#include "core/text.hpp"

namespace kho {

std::string sanitize_file_name(std::string_view name) {
    // Keep only the last path component, for both separators.
    if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos)
        name = name.substr(slash + 1);
    std::string valid = to_valid_utf8(name);
    std::string out;
    out.reserve(valid.size());
    for (char ch : valid) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) continue;  // CR, LF, NUL, TAB, DEL...
        out += ch;
    }
    // Trim spaces and dots at both ends: "..", " x ", "name." are all trouble
    // on some file system or other.
    auto first = out.find_first_not_of(" .");
    if (first == std::string::npos) return "file";
    auto last = out.find_last_not_of(" .");
    out = out.substr(first, last - first + 1);
    if (out.size() > 255) {
        size_t cut = 255;
        // Do not cut a UTF-8 sequence in half.
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
    }
    return out.empty() ? "file" : out;
}

std::string file_extension(std::string_view name) {
    auto dot = name.find_last_of('.');
    if (dot == std::string_view::npos || dot + 1 == name.size()) return {};
    std::string ext(name.substr(dot + 1));
    for (auto& ch : ext)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return ext;
}

}  // namespace kho
