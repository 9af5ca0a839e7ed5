#pragma once
// Asset metadata as it arrives with an upload: query parameters, form fields
// or tus Upload-Metadata pairs, before it is validated into asset_metadata.

#include "api/upload_sink.hpp"
#include "core/asset.hpp"
#include "core/error.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kho::api {

struct metadata_fields {
    std::map<std::string, std::vector<std::string>> values;

    // Accepts title, description, tags (or tag), kind, campaign, language;
    // anything else is errc::invalid_parameter.
    result<void> add(const std::string& key, std::string value);
    std::optional<std::string> one(const std::string& key) const;
};

// Title defaults to the file name, kind to the sniffed type's; tags may be
// comma-separated or repeated. The result is validated.
result<asset_metadata> build_metadata(const metadata_fields& f, const std::string& file_name,
                                      const sniffed_type& type);

}  // namespace kho::api
