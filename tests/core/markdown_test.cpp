#include "core/markdown.hpp"

#include "core/text.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using kho::html_escape;
using kho::markdown_to_html;
using kho::press_release_document;

namespace {

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

// Case-insensitive, for checks like "no <script anywhere".
bool contains_nocase(std::string haystack, std::string needle) {
    auto lower = [](std::string& s) {
        for (auto& c : s)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    };
    lower(haystack);
    lower(needle);
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("markdown: headings, emphasis, lists and links render", "[markdown]") {
    auto html = markdown_to_html(
        "# Title\n\n"
        "## Section\n\n"
        "Some *emphasis* and **strong** text.\n\n"
        "- one\n- two\n\n"
        "1. first\n2. second\n\n"
        "[Bộ GD&ĐT](https://moet.gov.vn)\n");
    CHECK(contains(html, "<h1>Title</h1>"));
    CHECK(contains(html, "<h2>Section</h2>"));
    CHECK(contains(html, "<em>emphasis</em>"));
    CHECK(contains(html, "<strong>strong</strong>"));
    CHECK(contains(html, "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"));
    CHECK(contains(html, "<ol>\n<li>first</li>\n<li>second</li>\n</ol>"));
    CHECK(contains(html, "<a href=\"https://moet.gov.vn\">Bộ GD&amp;ĐT</a>"));
}

TEST_CASE("markdown: smart punctuation is off", "[markdown]") {
    auto html = markdown_to_html("\"quoted\" -- and --- dashes\n");
    CHECK(contains(html, "&quot;quoted&quot; -- and --- dashes"));
}

TEST_CASE("markdown: Vietnamese text is kept byte for byte", "[markdown]") {
    const std::string nfc = "Thông cáo báo chí về Nghị quyết 71";
    CHECK(markdown_to_html(nfc) == "<p>" + nfc + "</p>\n");
    CHECK(contains(markdown_to_html("# " + nfc), "<h1>" + nfc + "</h1>"));

    // Decomposed (NFD) text is not normalized either.
    const std::string nfd = "Nghi\u0323 quye\u0302\u0301t";
    CHECK(markdown_to_html(nfd) == "<p>" + nfd + "</p>\n");
}

TEST_CASE("markdown: raw HTML does not survive", "[markdown]") {
    const std::vector<std::string> inputs{
        "<script>alert(1)</script>",
        "Text <script>alert(1)</script> inline",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "Inline <img src=x onerror=alert(1)> image",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<div onclick=\"alert(1)\">click</div>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<svg onload=alert(1)>",
        "<style>body{display:none}</style>",
    };
    for (const auto& input : inputs) {
        INFO(input);
        auto html = markdown_to_html(input);
        CHECK_FALSE(contains_nocase(html, "<script"));
        CHECK_FALSE(contains_nocase(html, "<img"));
        CHECK_FALSE(contains_nocase(html, "<iframe"));
        CHECK_FALSE(contains_nocase(html, "<div"));
        CHECK_FALSE(contains_nocase(html, "<svg"));
        CHECK_FALSE(contains_nocase(html, "<style"));
        CHECK_FALSE(contains_nocase(html, "onerror"));
        CHECK_FALSE(contains_nocase(html, "javascript:"));
        CHECK(contains(html, "<!-- raw HTML omitted -->"));
    }
}

TEST_CASE("markdown: dangerous URLs are dropped", "[markdown]") {
    const std::vector<std::string> inputs{
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](jav&#x61;script:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](vbscript:msgbox(1))",
        "[x](file:///etc/passwd)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](data:image/svg+xml;base64,PHN2Zz4=)",
        "<javascript:alert(1)>",
        "[x]\n\n[x]: javascript:alert(1)",
    };
    for (const auto& input : inputs) {
        INFO(input);
        auto html = markdown_to_html(input);
        INFO(html);
        // No attribute starts with the scheme (an autolink's text may show it).
        CHECK_FALSE(contains_nocase(html, "=\"javascript:"));
        CHECK_FALSE(contains_nocase(html, "=\"vbscript:"));
        CHECK_FALSE(contains_nocase(html, "=\"file:"));
        CHECK_FALSE(contains_nocase(html, "=\"data:"));
        CHECK((contains(html, "href=\"\"") || contains(html, "src=\"\"")));
    }
    CHECK(markdown_to_html("[x](javascript:alert(1))") == "<p><a href=\"\">x</a></p>\n");
}

TEST_CASE("markdown: safe URLs are kept", "[markdown]") {
    CHECK(markdown_to_html("[a](https://moet.gov.vn)") ==
          "<p><a href=\"https://moet.gov.vn\">a</a></p>\n");
    CHECK(contains(markdown_to_html("<https://moet.gov.vn/tin-tuc>"),
                   "href=\"https://moet.gov.vn/tin-tuc\""));
    CHECK(contains(markdown_to_html("[mail](mailto:bao-chi@moet.gov.vn)"),
                   "href=\"mailto:bao-chi@moet.gov.vn\""));
    CHECK(contains(markdown_to_html("![logo](images/logo.png)"), "<img src=\"images/logo.png\""));
    CHECK(contains(markdown_to_html("![p](data:image/png;base64,iVBORw0KGgo=)"),
                   "src=\"data:image/png;base64,iVBORw0KGgo=\""));
}

TEST_CASE("markdown: html_escape", "[markdown]") {
    CHECK(html_escape("") == "");
    CHECK(html_escape("Bộ GD&ĐT") == "Bộ GD&amp;ĐT");
    CHECK(html_escape("<b>\"x\" & 'y'</b>") ==
          "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
}

TEST_CASE("markdown: press release document", "[markdown]") {
    auto doc = press_release_document("Thông cáo <b>báo chí</b> & \"Q\" 'A'",
                                      "# Nghị quyết 71\n\nNội dung <script>x</script>.\n");
    CHECK(doc.starts_with("<!doctype html>\n"));
    CHECK(contains(doc, "<meta charset=\"utf-8\">"));
    CHECK(contains(doc,
                   "<title>Thông cáo &lt;b&gt;báo chí&lt;/b&gt; &amp; &quot;Q&quot; "
                   "&#39;A&#39;</title>"));
    CHECK_FALSE(contains(doc, "<b>"));
    CHECK(contains(doc, "<style>"));
    CHECK(contains(doc, "<h1>Nghị quyết 71</h1>"));
    CHECK_FALSE(contains_nocase(doc, "<script"));
    CHECK(contains(doc, "script-src 'none'"));
    CHECK(doc.ends_with("</html>\n"));
    CHECK(kho::is_valid_utf8(doc));
}

TEST_CASE("markdown: invalid UTF-8 yields valid UTF-8", "[markdown]") {
    const std::vector<std::string> inputs{
        "\xff\xfe",
        "abc \xc3",                      // truncated sequence at the end
        "Ngh\xe1\xbb quy\xe1\xba\xbft",  // truncated in the middle
        "\xc0\xaf overlong",
        "\xed\xa0\x80 surrogate",
        "\xf4\x90\x80\x80 beyond U+10FFFF",
        "# \xf0\x9f\x98 heading\n\n*em \x80*",
        std::string("nul \0 byte", 10),
        "[x](http://a\xff.example)",
    };
    for (const auto& input : inputs) {
        auto html = markdown_to_html(input);
        CHECK(kho::is_valid_utf8(html));
        CHECK_FALSE(html.empty());
        auto doc = press_release_document(input, input);
        CHECK(kho::is_valid_utf8(doc));
    }
    CHECK(contains(markdown_to_html("a\xffz"), "a\xEF\xBF\xBDz"));
}
