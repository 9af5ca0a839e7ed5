#pragma once
// kho's error vocabulary. Every fallible call in kho returns kho::result<T>:
// a value or a kho::error {code, detail}. The code is stable (clients switch on
// it); the detail is a human sentence for the problem+json "detail" member.
// Mapping a code to an HTTP status happens in exactly one place: api/problem.cpp.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace kho {

enum class errc {
    bad_request = 1,    // malformed syntax of any kind
    invalid_parameter,  // a parameter is syntactically fine but not allowed
    unauthorized,       // no or unknown credentials
    forbidden,          // credentials known but not allowed
    password_change_required,  // the account must set a new password first
    not_found,
    method_not_allowed,
    conflict,               // state conflict (e.g. illegal transition)
    gone,                   // existed once, no longer (trash, expiry)
    precondition_failed,    // If-Match / If-Unmodified-Since failed
    precondition_required,  // a conditional header is mandatory here
    payload_too_large,
    unsupported_media_type,  // sniffed type not allowed
    range_not_satisfiable,
    header_too_large,
    too_many_requests,
    unprocessable,         // well-formed but semantically invalid
    insufficient_storage,  // disk full
    checksum_mismatch,     // tus Upload-Checksum did not match (460)
    unavailable,           // shutting down, overloaded, not ready
    internal,              // a bug or an unexpected library failure
};

// Stable machine-readable name, e.g. "not_found".
std::string_view to_string(errc code) noexcept;

struct error {
    errc code = errc::internal;
    std::string detail;
};

inline error make_error(errc code, std::string detail) {
    return error{code, std::move(detail)};
}

// Called by boost::system::result<T, error>::value() on an error.
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

// Thrown only by result::value() on a programming error; never crosses the HTTP boundary.
class error_exception : public std::exception {
  public:
    explicit error_exception(error e);
    const char* what() const noexcept override { return what_.c_str(); }
    const kho::error& get() const noexcept { return error_; }

  private:
    kho::error error_;
    std::string what_;
};

template <class T>
using result = boost::system::result<T, error>;

// result<void> helper: `return ok();`
inline result<void> ok() {
    return {};
}

}  // namespace kho
