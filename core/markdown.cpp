#include "core/markdown.hpp"

#include "core/text.hpp"

#include <cmark.h>

#include <cstdlib>
#include <memory>
#include <new>

namespace kho {
namespace {

// Safe mode is cmark 0.30's default; VALIDATE_UTF8 is kept even though the
// input is already repaired, so the guarantee does not rest on one place.
constexpr int k_cmark_options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
static_assert((k_cmark_options & CMARK_OPT_UNSAFE) == 0);
static_assert((k_cmark_options & CMARK_OPT_SMART) == 0);

struct free_deleter {
    void operator()(char* p) const noexcept { std::free(p); }
};

constexpr std::string_view k_style = R"(body {
  margin: 0 auto;
  max-width: 42rem;
  padding: 2rem 1rem;
  font-family: "Noto Serif", "Times New Roman", Georgia, serif;
  font-size: 1.0625rem;
  line-height: 1.6;
  color: #1a1a1a;
  background: #fff;
}
h1, h2, h3, h4 { font-family: "Noto Sans", Arial, Helvetica, sans-serif; line-height: 1.25; }
h1 { font-size: 1.75rem; }
a { color: #0b4f9c; }
img { max-width: 100%; height: auto; }
blockquote { margin: 1rem 0; padding-left: 1rem; border-left: 3px solid #ccc; color: #444; }
pre, code { font-family: "Noto Sans Mono", Consolas, monospace; font-size: 0.9em; }
pre { overflow-x: auto; padding: 0.75rem; background: #f5f5f5; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; } }
)";

}  // namespace

std::string markdown_to_html(std::string_view markdown) {
    std::string valid;
    if (!is_valid_utf8(markdown)) {
        valid = to_valid_utf8(markdown);
        markdown = valid;
    }
    std::unique_ptr<char, free_deleter> html(
        cmark_markdown_to_html(markdown.data(), markdown.size(), k_cmark_options));
    // cmark aborts on allocation failure; a null result would be the same.
    if (!html) throw std::bad_alloc();
    return std::string(html.get());
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string press_release_document(std::string_view title, std::string_view markdown_body) {
    std::string body = markdown_to_html(markdown_body);
    std::string escaped_title = html_escape(to_valid_utf8(title));

    std::string doc;
    doc.reserve(body.size() + escaped_title.size() + k_style.size() + 512);
    doc += "<!doctype html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n";
    doc += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    doc +=
        "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; "
        "object-src 'none'; base-uri 'none'; form-action 'none'\">\n";
    doc += "<title>";
    doc += escaped_title;
    doc += "</title>\n<style>\n";
    doc += k_style;
    doc += "</style>\n</head>\n<body>\n<main>\n";
    doc += body;
    doc += "</main>\n</body>\n</html>\n";
    return doc;
}

}  // namespace kho
