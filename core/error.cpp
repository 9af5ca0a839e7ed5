#include "core/error.hpp"

namespace kho {

std::string_view to_string(errc code) noexcept {
    switch (code) {
        case errc::bad_request:
            return "bad_request";
        case errc::invalid_parameter:
            return "invalid_parameter";
        case errc::unauthorized:
            return "unauthorized";
        case errc::forbidden:
            return "forbidden";
        case errc::password_change_required:
            return "password_change_required";
        case errc::not_found:
            return "not_found";
        case errc::method_not_allowed:
            return "method_not_allowed";
        case errc::conflict:
            return "conflict";
        case errc::gone:
            return "gone";
        case errc::precondition_failed:
            return "precondition_failed";
        case errc::precondition_required:
            return "precondition_required";
        case errc::payload_too_large:
            return "payload_too_large";
        case errc::unsupported_media_type:
            return "unsupported_media_type";
        case errc::range_not_satisfiable:
            return "range_not_satisfiable";
        case errc::header_too_large:
            return "header_too_large";
        case errc::too_many_requests:
            return "too_many_requests";
        case errc::unprocessable:
            return "unprocessable";
        case errc::insufficient_storage:
            return "insufficient_storage";
        case errc::checksum_mismatch:
            return "checksum_mismatch";
        case errc::unavailable:
            return "unavailable";
        case errc::internal:
            return "internal";
    }
    return "internal";
}

error_exception::error_exception(error e)
    : error_(std::move(e)), what_(std::string(to_string(error_.code)) + ": " + error_.detail) {}

void throw_exception_from_error(const error& e, const boost::source_location&) {
    throw error_exception(e);
}

}  // namespace kho
