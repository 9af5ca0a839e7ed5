#pragma once
// Press releases: CommonMark Markdown to HTML that is safe to show and to ship
// in a press kit ZIP. Rendering uses libcmark (0.30) in its safe mode, which
// 0.30 applies by default: raw HTML (blocks and inline tags) is replaced by the
// comment "<!-- raw HTML omitted -->", and link or image URLs with the schemes
// javascript:, vbscript:, file: and data: (except data:image/png, gif, jpeg
// and webp) are replaced by empty strings. CMARK_OPT_UNSAFE is never passed;
// smart punctuation is off, so the author's quotes and dashes stay as typed.
//
// Input that is not valid UTF-8 is repaired (ill-formed sequences become
// U+FFFD) before rendering, so the output is always valid UTF-8. Text in
// valid input is kept byte for byte: no Unicode normalization.
//
// Thread safety: plain functions without state.

#include <string>
#include <string_view>

namespace kho {

// The HTML fragment for `markdown` (block elements, no <html>/<body>).
std::string markdown_to_html(std::string_view markdown);

// A complete standalone HTML5 document: <!doctype html>, <html lang="vi">,
// <meta charset="utf-8">, a viewport, a Content-Security-Policy that forbids
// scripts, plugins and forms (defense in depth when opened from the ZIP), the
// escaped `title` in <title>, a small inline <style>, and the rendered body in
// <main>. The title is not repeated as a heading: the body has its own.
std::string press_release_document(std::string_view title, std::string_view markdown_body);

// Escapes & < > " ' for HTML text and attribute values (as &amp; &lt; &gt;
// &quot; &#39;). Does not repair UTF-8; press_release_document does.
std::string html_escape(std::string_view text);

}  // namespace kho
