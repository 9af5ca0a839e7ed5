// Press-kit ZIP entry names (api/zip_archive.hpp zip_entry_names) and the
// archive laid out for them (plan_zip, slice_parts). Properties:
// - one name per request, and no two the same file once extracted: unique
//   under Unicode case folding and normalization (NTFS, APFS and libarchive
//   merge those), and no name is also a folder of another;
// - every name is valid UTF-8, relative, with no empty, "." or ".."
//   component and no backslash, each component a sanitized file name of at
//   most 255 bytes (what extractors and file systems accept);
// - plan_zip accepts the names, its parts add up to its size, and
//   libarchive reads the archive back with these names (in NFC, as it
//   reports them) and bytes;
// - any slice of the parts is the same slice of the whole archive.
//
// Input: 2 bytes choosing a slice, then names separated by '\n'.

#include "api/zip_archive.hpp"
#include "core/file_name.hpp"
#include "fuzz/fuzz_support.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <clocale>
#include <memory>
#include <set>

namespace api = kho::api;

namespace {

// ICU directly rather than kho's helper: the oracle should not share code
// with what it checks.
std::string normalized(std::string_view s, bool casefold) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = casefold ? icu::Normalizer2::getNFKCCasefoldInstance(status)
                                         : icu::Normalizer2::getNFCInstance(status);
    KHO_FUZZ_CHECK(U_SUCCESS(status));
    auto src = icu::UnicodeString::fromUTF8(
        icu::StringPiece(s.data(), static_cast<std::int32_t>(s.size())));
    std::string out;
    n->normalize(src, status).toUTF8String(out);
    KHO_FUZZ_CHECK(U_SUCCESS(status));
    return out;
}

std::string same_file_key(std::string_view s) {
    return normalized(s, true);
}

void check_names(const std::vector<std::string>& names) {
    std::set<std::string> files, folders;
    for (const auto& n : names) {
        KHO_FUZZ_CHECK(kho::fuzz::is_valid_utf8(n));
        KHO_FUZZ_CHECK(!n.empty() && n.front() != '/' && n.back() != '/');
        KHO_FUZZ_CHECK(n.find('\\') == std::string::npos);
        std::size_t start = 0;
        for (;;) {
            const auto slash = n.find('/', start);
            const std::string component = n.substr(start, slash - start);
            KHO_FUZZ_CHECK(!component.empty() && component.size() <= 255);
            KHO_FUZZ_CHECK(component.find_first_not_of(" .") != std::string::npos);
            KHO_FUZZ_CHECK(kho::sanitize_file_name(component) == component);
            if (slash == std::string::npos) break;
            folders.insert(same_file_key(n.substr(0, slash)));
            start = slash + 1;
        }
        KHO_FUZZ_CHECK(files.insert(same_file_key(n)).second);
    }
    for (const auto& f : files) KHO_FUZZ_CHECK(!folders.contains(f));
}

std::string content_of(std::size_t i) {
    return "entry " + std::to_string(i) + std::string(i % 7 * 10, 'x');
}

// Reads the archive with libarchive: the names and contents it finds.
std::vector<std::pair<std::string, std::string>> read_back(const std::string& zip) {
    std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
    archive_read_support_format_zip(a.get());
    KHO_FUZZ_CHECK(archive_read_open_memory(a.get(), zip.data(), zip.size()) == ARCHIVE_OK);
    std::vector<std::pair<std::string, std::string>> out;
    archive_entry* e = nullptr;
    int rc;
    while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
        const char* name = archive_entry_pathname_utf8(e);
        KHO_FUZZ_CHECK(name != nullptr);
        std::string bytes(static_cast<std::size_t>(archive_entry_size(e)), '\0');
        if (!bytes.empty())
            KHO_FUZZ_CHECK(archive_read_data(a.get(), bytes.data(), bytes.size()) ==
                           static_cast<la_ssize_t>(bytes.size()));
        out.emplace_back(name, std::move(bytes));
    }
    if (rc != ARCHIVE_EOF)
        std::fprintf(stderr, "libarchive: %d %s\n", rc, archive_error_string(a.get()));
    KHO_FUZZ_CHECK(rc == ARCHIVE_EOF);
    return out;
}

std::string flatten(const std::vector<kho::api::body_segment>& parts) {
    std::string out;
    for (const auto& p : parts) out += std::get<std::string>(p);
    return out;
}

}  // namespace

// libarchive converts names to the locale's charset and warns when it cannot:
// read them as the UTF-8 they are.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::setlocale(LC_CTYPE, "C.UTF-8");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    kho::fuzz::fuzz_reader in(data, size);
    const std::uint8_t slice_a = in.byte(), slice_b = in.byte();
    std::vector<std::string> requested;
    while (!in.empty() && requested.size() < 64) requested.emplace_back(in.until('\n'));

    const auto names = api::zip_entry_names(requested);
    KHO_FUZZ_CHECK(names.size() == requested.size());
    check_names(names);
    if (names.empty()) return 0;

    std::vector<api::zip_entry> entries;
    for (std::size_t i = 0; i < names.size(); ++i) {
        api::zip_entry e;
        e.name = names[i];
        e.modified = 1'700'000'000 + static_cast<std::int64_t>(i);
        e.bytes = content_of(i);
        entries.push_back(std::move(e));
    }
    auto plan = api::plan_zip(std::move(entries));
    KHO_FUZZ_CHECK(plan.has_value());
    const std::string zip = flatten(plan->parts);
    KHO_FUZZ_CHECK(zip.size() == plan->size);

    const auto found = read_back(zip);
    KHO_FUZZ_CHECK(found.size() == names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        // libarchive reports names in NFC by tables of its own: compare both
        // sides in ICU's NFC.
        const bool same = normalized(found[i].first, false) == normalized(names[i], false);
        if (!same)
            std::fprintf(stderr, "zip entry %zu: written '%s', read '%s'\n", i, names[i].c_str(),
                         found[i].first.c_str());
        KHO_FUZZ_CHECK(same);
        KHO_FUZZ_CHECK(found[i].second == content_of(i));
    }

    const std::uint64_t first = zip.size() * slice_a / 256;
    const std::uint64_t length = (zip.size() - first) * slice_b / 255;
    KHO_FUZZ_CHECK(flatten(api::slice_parts(plan->parts, first, length)) ==
                   zip.substr(first, length));
    return 0;
}
