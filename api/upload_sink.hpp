#pragma once
// Receives an upload's bytes as they stream in: holds back the first
// media::sniff_bytes to decide the file type from content (refusing a
// disallowed type before anything more is written), then writes and hashes
// through a blob_writer. Nothing is ever buffered beyond that first window.

#include "api/app.hpp"
#include "core/error.hpp"
#include "core/media_types.hpp"
#include "storage/blob_store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace kho::api {

struct sniffed_type {
    std::string mime;
    asset_kind kind = asset_kind::other;
};

// Applies the server's allowed-type policy to a file's first bytes.
result<sniffed_type> check_type(const api_limits& limits, std::string_view head);

class upload_sink {
  public:
    upload_sink(const api_limits& limits, storage::blob_writer writer)
        : limits_(limits), writer_(std::move(writer)) {}

    result<void> write(std::string_view chunk);
    // Call at the end of the body: sniffs a short file and flushes the head.
    result<void> end();

    const sniffed_type& type() const { return *type_; }
    storage::blob_writer& writer() { return writer_; }
    std::uint64_t size() const { return writer_.size() + head_.size(); }

  private:
    result<void> sniff_and_flush();

    const api_limits& limits_;
    storage::blob_writer writer_;
    std::string head_;
    std::optional<sniffed_type> type_;
};

}  // namespace kho::api
