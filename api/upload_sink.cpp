#include "api/upload_sink.hpp"

#include "media/type_sniffer.hpp"

#include <algorithm>

namespace kho::api {

result<sniffed_type> check_type(const api_limits& limits, std::string_view head) {
    const auto& allowed = limits.allowed_types;
    bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
    if (allowed.empty() || any) {
        auto t = media::sniff(head);
        if (t) return sniffed_type{std::string(t->mime), default_kind_for(*t)};
        if (!any) return t.error();
        return sniffed_type{media::magic_mime(head), asset_kind::other};
    }
    auto mime = media::magic_mime(head);
    auto known = find_allowed_media_type(mime);
    std::string canonical = known ? std::string(known->mime) : mime;
    if (std::find(allowed.begin(), allowed.end(), canonical) == allowed.end())
        return make_error(errc::unsupported_media_type,
                          "files of type " + mime + " are not accepted by this server");
    return sniffed_type{canonical, known ? default_kind_for(*known) : asset_kind::other};
}

result<void> upload_sink::sniff_and_flush() {
    auto t = check_type(limits_, head_);
    if (!t) return t.error();
    type_ = std::move(*t);
    auto w = writer_.write(head_.data(), head_.size());
    head_.clear();
    head_.shrink_to_fit();
    return w;
}

result<void> upload_sink::write(std::string_view chunk) {
    if (type_) return writer_.write(chunk.data(), chunk.size());
    // Still collecting the head for sniffing: the writer's size limit does not
    // see these bytes yet, so check it here.
    if (head_.size() + chunk.size() > limits_.max_upload_bytes)
        return make_error(
            errc::payload_too_large,
            "the upload is larger than " + std::to_string(limits_.max_upload_bytes) + " bytes");
    auto take = std::min(chunk.size(), media::sniff_bytes - head_.size());
    head_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    if (head_.size() < media::sniff_bytes) return ok();
    if (auto r = sniff_and_flush(); !r) return r;
    if (!chunk.empty()) return writer_.write(chunk.data(), chunk.size());
    return ok();
}

result<void> upload_sink::end() {
    if (type_) return ok();
    return sniff_and_flush();
}

}  // namespace kho::api
