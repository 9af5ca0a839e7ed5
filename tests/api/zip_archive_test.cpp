#include "api/zip_archive.hpp"

#include "core/sha256.hpp"
#include "core/text.hpp"
#include "tests/support/media_commands.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

using kho::api::body_segment;
using kho::api::file_segment;
using kho::api::zip_entry;
using kho::api::zip_plan;
using kho::test::quoted;
using kho::test::run;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t gib = 1ull << 30;

std::string random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);
    return s;
}

void write_file(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::shared_ptr<kho::storage::unique_fd> open_fd(const fs::path& path) {
    auto fd = std::make_shared<kho::storage::unique_fd>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(*fd);
    return fd;
}

std::uint32_t zlib_crc(const std::string& s) {
    return static_cast<std::uint32_t>(
        ::crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

// The bytes of a file segment, read with pread as the server's sendfile would.
std::string read_segment(const file_segment& f) {
    std::string out(f.length, '\0');
    std::uint64_t done = 0;
    while (done < f.length) {
        const ssize_t n = ::pread(f.fd->get(), out.data() + done, f.length - done,
                                  static_cast<off_t>(f.offset + done));
        REQUIRE(n > 0);
        done += static_cast<std::uint64_t>(n);
    }
    return out;
}

// The concatenation of the parts, in memory (small archives only).
std::string concat(const std::vector<body_segment>& parts) {
    std::string out;
    for (const auto& p : parts) {
        if (const auto* s = std::get_if<std::string>(&p))
            out += *s;
        else
            out += read_segment(std::get<file_segment>(p));
    }
    return out;
}

std::uint64_t part_length(const body_segment& p) {
    if (const auto* s = std::get_if<std::string>(&p)) return s->size();
    return std::get<file_segment>(p).length;
}

std::uint16_t u16(const std::string& s, std::size_t pos) {
    REQUIRE(pos + 2 <= s.size());
    return static_cast<std::uint16_t>(static_cast<unsigned char>(s[pos]) |
                                      (static_cast<unsigned char>(s[pos + 1]) << 8));
}

std::uint32_t u32(const std::string& s, std::size_t pos) {
    return u16(s, pos) | (static_cast<std::uint32_t>(u16(s, pos + 2)) << 16);
}

std::uint64_t u64(const std::string& s, std::size_t pos) {
    return u32(s, pos) | (static_cast<std::uint64_t>(u32(s, pos + 4)) << 32);
}

std::map<std::uint16_t, std::string> parse_extra(const std::string& extra) {
    std::map<std::uint16_t, std::string> fields;
    std::size_t pos = 0;
    while (pos + 4 <= extra.size()) {
        const auto id = u16(extra, pos);
        const auto len = u16(extra, pos + 2);
        REQUIRE(pos + 4 + len <= extra.size());
        fields[id] = extra.substr(pos + 4, len);
        pos += 4 + len;
    }
    REQUIRE(pos == extra.size());
    return fields;
}

struct local_header {
    std::uint16_t version_needed = 0;
    std::uint16_t flags = 0;
    std::uint16_t method = 0;
    std::uint32_t crc = 0;
    std::uint32_t compressed = 0;
    std::uint32_t uncompressed = 0;
    std::string name;
    std::map<std::uint16_t, std::string> extra;
    std::size_t end = 0;  // where the entry's data starts
};

local_header parse_local(const std::string& s, std::size_t pos) {
    REQUIRE(u32(s, pos) == 0x04034b50);
    local_header h;
    h.version_needed = u16(s, pos + 4);
    h.flags = u16(s, pos + 6);
    h.method = u16(s, pos + 8);
    h.crc = u32(s, pos + 14);
    h.compressed = u32(s, pos + 18);
    h.uncompressed = u32(s, pos + 22);
    const auto name_len = u16(s, pos + 26);
    const auto extra_len = u16(s, pos + 28);
    REQUIRE(pos + 30 + name_len + extra_len <= s.size());
    h.name = s.substr(pos + 30, name_len);
    h.extra = parse_extra(s.substr(pos + 30 + name_len, extra_len));
    h.end = pos + 30 + name_len + extra_len;
    return h;
}

struct central_header {
    std::uint16_t made_by = 0;
    std::uint16_t version_needed = 0;
    std::uint16_t flags = 0;
    std::uint16_t method = 0;
    std::uint32_t crc = 0;
    std::uint32_t compressed = 0;
    std::uint32_t uncompressed = 0;
    std::uint32_t external = 0;
    std::uint32_t offset = 0;
    std::string name;
    std::map<std::uint16_t, std::string> extra;
};

std::vector<central_header> parse_central(const std::string& s, std::size_t pos,
                                          std::uint64_t count) {
    std::vector<central_header> out;
    for (std::uint64_t i = 0; i < count; ++i) {
        REQUIRE(u32(s, pos) == 0x02014b50);
        central_header h;
        h.made_by = u16(s, pos + 4);
        h.version_needed = u16(s, pos + 6);
        h.flags = u16(s, pos + 8);
        h.method = u16(s, pos + 10);
        h.crc = u32(s, pos + 16);
        h.compressed = u32(s, pos + 20);
        h.uncompressed = u32(s, pos + 24);
        const auto name_len = u16(s, pos + 28);
        const auto extra_len = u16(s, pos + 30);
        const auto comment_len = u16(s, pos + 32);
        h.external = u32(s, pos + 38);
        h.offset = u32(s, pos + 42);
        h.name = s.substr(pos + 46, name_len);
        h.extra = parse_extra(s.substr(pos + 46 + name_len, extra_len));
        pos += 46 + name_len + extra_len + comment_len;
        out.push_back(std::move(h));
    }
    return out;
}

// What a test archive holds: files on disk and generated texts.
struct source {
    std::string name;
    std::string content;
    bool is_file = false;
    std::int64_t modified = 0;
};

std::vector<source> mixed_sources() {
    std::string csv = "id,school,province\n";
    for (int i = 0; i < 300; ++i) csv += std::to_string(i) + ",Trường THPT Nguyễn Du,Hà Nội\n";
    return {
        {"Áp phích Nghị quyết 71.png", random_bytes(200'000, 1), true, 1'700'000'001},
        {"Đào tạo/giáo viên.pdf", random_bytes(70'001, 2), true, 1'700'000'100},
        {"trống.bin", "", true, 1'600'000'000},
        {"index.html",
         "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\">"
         "<title>Bộ tài liệu báo chí</title><h1>Bộ tài liệu báo chí</h1></html>\n",
         false, 1'700'000'200},
        {"Đào tạo/danh sách.csv", csv, false, 1'700'000'300},
    };
}

// Writes the file sources under `dir` and returns the entries for them.
std::vector<zip_entry> make_entries(const std::vector<source>& sources, const fs::path& dir) {
    std::vector<zip_entry> entries;
    int n = 0;
    for (const auto& s : sources) {
        zip_entry e;
        e.name = s.name;
        e.modified = s.modified;
        if (s.is_file) {
            const auto path = dir / ("blob-" + std::to_string(n++));
            write_file(path, s.content);
            e.file = file_segment{open_fd(path), 0, s.content.size(), nullptr, {}};
            e.crc32 = zlib_crc(s.content);
        } else {
            e.bytes = s.content;
        }
        entries.push_back(std::move(e));
    }
    return entries;
}

zip_plan plan(std::vector<zip_entry> entries) {
    auto r = kho::api::plan_zip(std::move(entries));
    if (!r) FAIL(r.error().detail);
    return std::move(*r);
}

// Writes the archive to `path`, reading file segments with pread.
void write_parts(const std::vector<body_segment>& parts, const fs::path& path) {
    std::ofstream out(path, std::ios::binary);
    for (const auto& p : parts) {
        const std::string bytes = std::holds_alternative<std::string>(p)
                                      ? std::get<std::string>(p)
                                      : read_segment(std::get<file_segment>(p));
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    REQUIRE(out.good());
}

std::string utf8(const std::string& command) {
    return "env LANG=C.UTF-8 LC_ALL=C.UTF-8 " + command;
}

void require_tools_accept(const fs::path& zip) {
    auto t = run(utf8("unzip -tq " + quoted(zip)), true);
    INFO(t.text);
    REQUIRE(t.status == 0);
    REQUIRE(t.text.find("No errors detected") != std::string::npos);
    auto z = run("7z t " + quoted(zip), true);
    INFO(z.text);
    REQUIRE(z.status == 0);
    REQUIRE(z.text.find("Everything is Ok") != std::string::npos);
    REQUIRE(z.text.find("WARNING") == std::string::npos);
}

// CRC-32 of n zero bytes without reading them.
std::uint32_t zeros_crc(std::uint64_t n) {
    const std::string mib(1 << 20, '\0');
    const std::uint32_t mib_crc = zlib_crc(mib);
    uLong crc = 0;
    for (; n >= mib.size(); n -= mib.size()) crc = crc32_combine(crc, mib_crc, mib.size());
    return static_cast<std::uint32_t>(crc32_combine(crc, zlib_crc(mib.substr(0, n)), n));
}

constexpr std::uint64_t big_size = 5 * gib;

// A 5 GiB sparse file (zeros, no disk blocks) between two small texts.
std::vector<zip_entry> big_entries(const fs::path& dir) {
    const auto big_path = dir / "big.bin";
    {
        kho::storage::unique_fd fd(::open(big_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        REQUIRE(fd);
        REQUIRE(::ftruncate(fd.get(), static_cast<off_t>(big_size)) == 0);
    }
    std::vector<zip_entry> entries(3);
    entries[0].name = "trước.txt";
    entries[0].bytes = "before the big one\n";
    entries[1].name = "video/lớn.mp4";
    entries[1].file = file_segment{open_fd(big_path), 0, big_size, nullptr, {}};
    entries[1].crc32 = zeros_crc(big_size);
    entries[2].name = "sau.txt";
    entries[2].bytes = "after the big one\n";
    for (auto& e : entries) e.modified = 1'700'000'000;
    return entries;
}

// Writes the archive leaving holes for file segments, which must be all
// zeros (sparse files): the tools then read 5 GiB without any disk space.
void write_sparse(const zip_plan& p, const fs::path& path) {
    kho::storage::unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    REQUIRE(fd);
    std::uint64_t pos = 0;
    for (const auto& part : p.parts) {
        if (const auto* s = std::get_if<std::string>(&part))
            REQUIRE(::pwrite(fd.get(), s->data(), s->size(), static_cast<off_t>(pos)) ==
                    static_cast<ssize_t>(s->size()));
        pos += part_length(part);
    }
    REQUIRE(::ftruncate(fd.get(), static_cast<off_t>(p.size)) == 0);
}

}  // namespace

TEST_CASE("zip_archive: mixed archive passes unzip, zipinfo and 7z", "[zip]") {
    kho::test::temp_dir dir("kho-zip");
    const auto sources = mixed_sources();
    const auto p = plan(make_entries(sources, dir.path()));
    const auto zip = dir.path() / "kit.zip";
    write_parts(p.parts, zip);
    REQUIRE(fs::file_size(zip) == p.size);

    // Three file entries, the empty one without a segment of its own.
    std::size_t file_parts = 0;
    for (const auto& part : p.parts) {
        REQUIRE(part_length(part) > 0);
        file_parts += std::holds_alternative<file_segment>(part) ? 1 : 0;
    }
    REQUIRE(file_parts == 2);

    require_tools_accept(zip);

    SECTION("structures: classic only, UTF-8 flag, Unix attributes") {
        const auto bytes = read_file(zip);
        REQUIRE(bytes.find(std::string("PK\x06\x06", 4)) == std::string::npos);
        const auto eocd = bytes.size() - 22;
        REQUIRE(u32(bytes, eocd) == 0x06054b50);
        REQUIRE(u16(bytes, eocd + 10) == sources.size());
        const auto cd = parse_central(bytes, u32(bytes, eocd + 16), sources.size());
        for (std::size_t i = 0; i < cd.size(); ++i) {
            INFO(cd[i].name);
            REQUIRE(cd[i].name == sources[i].name);
            REQUIRE(cd[i].made_by == ((3 << 8) | 63));
            REQUIRE(cd[i].version_needed == 20);
            REQUIRE(cd[i].flags == 0x0800);
            REQUIRE(cd[i].external == (0100644u << 16));
            REQUIRE(cd[i].crc == zlib_crc(sources[i].content));
            REQUIRE(cd[i].uncompressed == sources[i].content.size());
            REQUIRE(cd[i].extra.count(0x0001) == 0);
            REQUIRE(cd[i].extra.count(0x5455) == 1);
            const auto lh = parse_local(bytes, cd[i].offset);
            REQUIRE(lh.name == cd[i].name);
            REQUIRE(lh.flags == 0x0800);
            REQUIRE(lh.version_needed == 20);
            REQUIRE(lh.crc == cd[i].crc);
            REQUIRE(lh.compressed == cd[i].compressed);
            REQUIRE(lh.method == cd[i].method);
        }
    }

    SECTION("zipinfo lists the exact names, files stored, the CSV deflated") {
        auto info = run(utf8("zipinfo " + quoted(zip)), true);
        INFO(info.text);
        REQUIRE(info.status == 0);
        std::map<std::string, std::string> line_of;
        std::size_t start = 0;
        while (start < info.text.size()) {
            auto end = info.text.find('\n', start);
            if (end == std::string::npos) end = info.text.size();
            const auto line = info.text.substr(start, end - start);
            for (const auto& s : sources)
                if (line.size() > s.name.size() &&
                    line.compare(line.size() - s.name.size() - 1, std::string::npos,
                                 " " + s.name) == 0)
                    line_of[s.name] = line;
            start = end + 1;
        }
        REQUIRE(line_of.size() == sources.size());
        for (const auto& s : sources) {
            const auto& line = line_of[s.name];
            INFO(line);
            REQUIRE(line.rfind("-rw-r--r--", 0) == 0);
            REQUIRE(line.find(" unx ") != std::string::npos);
            if (s.is_file) REQUIRE(line.find(" stor ") != std::string::npos);
        }
        REQUIRE(line_of["Đào tạo/danh sách.csv"].find(" defN ") != std::string::npos);
    }

    SECTION("unzip and 7z extract the same bytes, times and modes") {
        for (const std::string tool : {"unzip", "7z"}) {
            const auto out = dir.path() / ("out-" + tool);
            const auto cmd = tool == "unzip" ? "unzip -q " + quoted(zip) + " -d " + quoted(out)
                                             : "7z x -y -o" + quoted(out) + " " + quoted(zip);
            auto x = run(utf8(cmd), true);
            INFO(tool << ": " << x.text);
            REQUIRE(x.status == 0);
            REQUIRE(kho::test::files_under(out) == sources.size());
            for (const auto& s : sources) {
                INFO(s.name);
                const auto path = out / fs::u8path(s.name);
                REQUIRE(fs::is_regular_file(path));
                REQUIRE(kho::sha256::hex_of(read_file(path)) == kho::sha256::hex_of(s.content));
                struct stat st {};
                REQUIRE(::stat(path.c_str(), &st) == 0);
                REQUIRE(st.st_mtime == s.modified);
                if (tool == "unzip") REQUIRE((st.st_mode & 0777) == 0644);
            }
        }
    }
}

TEST_CASE("zip_archive: the same entries give the same bytes", "[zip]") {
    kho::test::temp_dir dir("kho-zip");
    const auto sources = mixed_sources();
    const auto a = plan(make_entries(sources, dir.path() / "a"));
    const auto b = plan(make_entries(sources, dir.path() / "b"));
    REQUIRE(a.size == b.size);
    REQUIRE(a.parts.size() == b.parts.size());
    const auto bytes = concat(a.parts);
    REQUIRE(bytes.size() == a.size);
    REQUIRE(bytes == concat(b.parts));

    auto later = sources;
    later[0].modified += 2;
    REQUIRE(concat(plan(make_entries(later, dir.path() / "c")).parts) != bytes);
}

TEST_CASE("zip_archive: slice_parts equals the substring of the archive", "[zip]") {
    kho::test::temp_dir dir("kho-zip");
    const auto p = plan(make_entries(mixed_sources(), dir.path()));
    const auto full = concat(p.parts);
    REQUIRE(full.size() == p.size);

    std::vector<std::pair<std::uint64_t, std::uint64_t>> cases{
        {0, p.size}, {0, 0}, {p.size, 0}, {0, 1}, {p.size - 1, 1}};
    std::uint64_t boundary = 0;
    for (const auto& part : p.parts) {
        boundary += part_length(part);
        if (boundary >= p.size) break;
        cases.emplace_back(boundary, p.size - boundary);  // resume at a boundary
        cases.emplace_back(boundary - 1, 2);              // straddle it
        cases.emplace_back(boundary - 1, 1);              // end right at it
        cases.emplace_back(0, boundary);
    }
    std::mt19937_64 rng(71);
    while (cases.size() < 60) {
        const std::uint64_t first = rng() % p.size;
        const std::uint64_t length = rng() % (p.size - first + 1);
        cases.emplace_back(first, length);
    }
    for (const auto& [first, length] : cases) {
        INFO("first " << first << " length " << length);
        const auto slice = kho::api::slice_parts(p.parts, first, length);
        std::uint64_t total = 0;
        for (const auto& part : slice) {
            REQUIRE(part_length(part) > 0);
            total += part_length(part);
        }
        REQUIRE(total == length);
        REQUIRE(concat(slice) == full.substr(first, length));
    }
}

TEST_CASE("zip_archive: slice_parts keeps a file's digest check only for the whole file",
          "[zip]") {
    // A range of a blob cannot be checked against the blob's SHA-256: a
    // sliced segment must not carry it, or the session would find every
    // ranged download "damaged".
    using kho::api::file_segment;
    file_segment f{nullptr, 0, 1000, nullptr, "ab12"};
    std::vector<kho::api::body_segment> parts{std::string("head"), f, std::string("tail")};
    auto digest_of = [](const std::vector<kho::api::body_segment>& slice) {
        for (const auto& part : slice)
            if (const auto* seg = std::get_if<file_segment>(&part)) return seg->verify_sha256;
        return std::string("(no file)");
    };
    CHECK(digest_of(kho::api::slice_parts(parts, 0, 1008)) == "ab12");
    CHECK(digest_of(kho::api::slice_parts(parts, 4, 1000)) == "ab12");
    CHECK(digest_of(kho::api::slice_parts(parts, 5, 999)).empty());
    CHECK(digest_of(kho::api::slice_parts(parts, 0, 100)).empty());
    CHECK(digest_of(kho::api::slice_parts(parts, 500, 10)).empty());
}

TEST_CASE("zip_archive: 70,000 entries use the zip64 end records", "[zip]") {
    constexpr std::uint64_t count = 70'000;
    std::vector<zip_entry> entries;
    entries.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        zip_entry e;
        char name[32];
        std::snprintf(name, sizeof name, "d%02u/%05u.txt", unsigned(i / 1000), unsigned(i));
        e.name = name;
        e.modified = 1'700'000'000;
        e.bytes = "entry " + std::to_string(i) + "\n";
        entries.push_back(std::move(e));
    }
    const auto p = plan(std::move(entries));
    const auto bytes = concat(p.parts);
    REQUIRE(bytes.size() == p.size);

    const auto eocd = bytes.size() - 22;
    REQUIRE(u32(bytes, eocd) == 0x06054b50);
    REQUIRE(u16(bytes, eocd + 8) == 0xFFFF);
    REQUIRE(u16(bytes, eocd + 10) == 0xFFFF);
    const auto locator = eocd - 20;
    REQUIRE(u32(bytes, locator) == 0x07064b50);
    REQUIRE(u32(bytes, locator + 16) == 1);
    const auto record = u64(bytes, locator + 8);
    REQUIRE(record == locator - 56);
    REQUIRE(u32(bytes, record) == 0x06064b50);
    REQUIRE(u64(bytes, record + 4) == 44);
    REQUIRE(u16(bytes, record + 14) == 45);
    REQUIRE(u64(bytes, record + 24) == count);
    REQUIRE(u64(bytes, record + 32) == count);
    const auto cd_size = u64(bytes, record + 40);
    const auto cd_offset = u64(bytes, record + 48);
    REQUIRE(cd_offset + cd_size == record);
    REQUIRE(u32(bytes, eocd + 12) == cd_size);  // small enough for the classic fields
    REQUIRE(u32(bytes, eocd + 16) == cd_offset);

    kho::test::temp_dir dir("kho-zip");
    const auto zip = dir.path() / "many.zip";
    write_parts(p.parts, zip);
    require_tools_accept(zip);
    auto list = run("unzip -Z1 " + quoted(zip) + " | wc -l");
    REQUIRE(std::stoull(list.text) == count);
}

TEST_CASE("zip_archive: sizes over 4 GiB get zip64 fields without reading the file", "[zip]") {
    kho::test::temp_dir dir("kho-zip");
    const auto p = plan(big_entries(dir.path()));
    REQUIRE(p.parts.size() == 3);
    const auto& head = std::get<std::string>(p.parts[0]);
    REQUIRE(std::get<file_segment>(p.parts[1]).length == big_size);
    const auto& tail = std::get<std::string>(p.parts[2]);
    const std::uint64_t tail_offset = head.size() + big_size;
    REQUIRE(p.size == tail_offset + tail.size());

    // Local headers.
    const auto first = parse_local(head, 0);
    REQUIRE(first.version_needed == 20);
    const auto big = parse_local(head, first.end + first.compressed);
    REQUIRE(big.name == "video/lớn.mp4");
    REQUIRE(big.end == head.size());
    REQUIRE(big.version_needed == 45);
    REQUIRE(big.method == 0);
    REQUIRE(big.compressed == 0xFFFFFFFF);
    REQUIRE(big.uncompressed == 0xFFFFFFFF);
    REQUIRE(big.extra.at(0x0001).size() == 16);
    REQUIRE(u64(big.extra.at(0x0001), 0) == big_size);
    REQUIRE(u64(big.extra.at(0x0001), 8) == big_size);
    const auto after = parse_local(tail, 0);
    REQUIRE(after.name == "sau.txt");
    REQUIRE(after.version_needed == 45);  // its offset needs zip64 in the CD
    REQUIRE(after.extra.count(0x0001) == 0);
    REQUIRE(after.compressed == 18);

    // End records: the classic one points at the zip64 ones.
    const auto eocd = tail.size() - 22;
    REQUIRE(u32(tail, eocd) == 0x06054b50);
    REQUIRE(u16(tail, eocd + 10) == 3);
    REQUIRE(u32(tail, eocd + 16) == 0xFFFFFFFF);
    const auto locator = eocd - 20;
    REQUIRE(u32(tail, locator) == 0x07064b50);
    const auto record = u64(tail, locator + 8);
    REQUIRE(record == tail_offset + locator - 56);
    const auto r = static_cast<std::size_t>(record - tail_offset);
    REQUIRE(u32(tail, r) == 0x06064b50);
    REQUIRE(u64(tail, r + 32) == 3);
    const auto cd_size = u64(tail, r + 40);
    const auto cd_offset = u64(tail, r + 48);
    REQUIRE(cd_offset + cd_size == record);
    REQUIRE(u32(tail, eocd + 12) == cd_size);

    // Central directory: only the overflowing fields, in order.
    const auto cd = parse_central(tail, static_cast<std::size_t>(cd_offset - tail_offset), 3);
    REQUIRE(cd[0].offset == 0);
    REQUIRE(cd[0].extra.count(0x0001) == 0);
    REQUIRE(cd[0].version_needed == 20);
    REQUIRE(cd[1].compressed == 0xFFFFFFFF);
    REQUIRE(cd[1].uncompressed == 0xFFFFFFFF);
    REQUIRE(cd[1].offset == first.end + first.compressed);
    REQUIRE(cd[1].extra.at(0x0001).size() == 16);
    REQUIRE(u64(cd[1].extra.at(0x0001), 0) == big_size);
    REQUIRE(u64(cd[1].extra.at(0x0001), 8) == big_size);
    REQUIRE(cd[1].version_needed == 45);
    REQUIRE(cd[2].offset == 0xFFFFFFFF);
    REQUIRE(cd[2].compressed == 18);
    REQUIRE(cd[2].extra.at(0x0001).size() == 8);
    REQUIRE(u64(cd[2].extra.at(0x0001), 0) == tail_offset);
    REQUIRE(cd[2].version_needed == 45);

    // The tools read the directory of a sparse copy: the 5 GiB are a hole.
    const auto zip = dir.path() / "big.zip";
    write_sparse(p, zip);
    REQUIRE(fs::file_size(zip) == p.size);
    auto info = run(utf8("zipinfo " + quoted(zip)), true);
    INFO(info.text);
    REQUIRE(info.status == 0);
    REQUIRE(info.text.find(std::to_string(big_size) + " bx stor") != std::string::npos);
    REQUIRE(info.text.find(" sau.txt") != std::string::npos);
    auto list = run("7z l " + quoted(zip), true);
    INFO(list.text);
    REQUIRE(list.status == 0);
    REQUIRE(list.text.find(std::to_string(big_size)) != std::string::npos);
    REQUIRE(list.text.find("3 files") != std::string::npos);
    REQUIRE(list.text.find("WARNING") == std::string::npos);
    REQUIRE(list.text.find("ERROR") == std::string::npos);
}

// Hidden, and outside "zip_archive:*": the tools read and check all 5 GiB
// (about 35 s). Run with `kho_unit_tests "[.slow]"`.
TEST_CASE("zip_archive slow: a 5 GiB entry tests ok with unzip and 7z", "[.slow]") {
    kho::test::temp_dir dir("kho-zip");
    const auto p = plan(big_entries(dir.path()));
    const auto zip = dir.path() / "big.zip";
    write_sparse(p, zip);
    require_tools_accept(zip);
}

TEST_CASE("zip_archive: entry names are safe and unique", "[zip]") {
    const std::vector<std::pair<std::string, std::string>> single{
        {"../../etc/passwd", "etc/passwd"},
        {"/abs/x.txt", "abs/x.txt"},
        {"a\\b.txt", "a/b.txt"},
        {"", "file"},
        {".", "file"},
        {"..", "file"},
        {"/", "file"},
        {"a//b/./c.txt", "a/b/c.txt"},
        {" . / .. /x", "x"},
        {".\x01./x", "x"},
        {"folder/", "folder"},
        {"Áp phích Nghị quyết 71.png", "Áp phích Nghị quyết 71.png"},
        {"Đào tạo/giáo viên.pdf", "Đào tạo/giáo viên.pdf"},
        {"bad\x01name\x7f.txt", "badname.txt"},
        {"tab\there/line\nbreak.txt", "tabhere/linebreak.txt"},
        {"caf\xE9.txt", "caf\xEF\xBF\xBD.txt"},
        {"a/\u202Efdp.exe", "a/fdp.exe"},  // right-to-left override
    };
    for (const auto& [requested, expected] : single) {
        INFO("requested: " << requested);
        REQUIRE(kho::api::zip_entry_names({requested}) == std::vector<std::string>{expected});
    }

    using names = std::vector<std::string>;
    REQUIRE(kho::api::zip_entry_names({"Báo cáo.pdf", "Báo cáo.pdf", "Báo cáo.pdf"}) ==
            names{"Báo cáo.pdf", "Báo cáo (2).pdf", "Báo cáo (3).pdf"});
    REQUIRE(kho::api::zip_entry_names({"A.PNG", "a.png"}) == names{"A.PNG", "a (2).png"});
    REQUIRE(kho::api::zip_entry_names({"README", "readme"}) == names{"README", "readme (2)"});
    REQUIRE(kho::api::zip_entry_names({"a.png", "a (2).png", "a.png"}) ==
            names{"a.png", "a (2).png", "a (3).png"});
    REQUIRE(kho::api::zip_entry_names({"", ".", "/"}) == names{"file", "file (2)", "file (3)"});
    REQUIRE(kho::api::zip_entry_names({"x/1.txt", "x/1.TXT", "y/1.txt"}) ==
            names{"x/1.txt", "x/1 (2).TXT", "y/1.txt"});
    // A file may not take the name of a folder, whatever the order.
    REQUIRE(kho::api::zip_entry_names({"x", "x/y.txt"}) == names{"x (2)", "x/y.txt"});
    REQUIRE(kho::api::zip_entry_names({"X/y.txt", "x"}) == names{"X/y.txt", "x (2)"});
    REQUIRE(kho::api::zip_entry_names({}).empty());
}

// Found by fuzz/zip_names_fuzz: names that differ only in Unicode case or
// normalization were kept apart, and the second overwrote the first when
// extracted on Windows or macOS, or by libarchive (which reads names as NFC).
TEST_CASE("zip_archive: entry names that are one file once extracted are told apart",
          "[zip][fuzz]") {
    using names = std::vector<std::string>;
    const std::string nfd =
        "A\xCC\x81p phi\xCC\x81"
        "ch.png";  // "Áp phích.png" from macOS
    REQUIRE(kho::api::zip_entry_names({nfd, "Áp phích.png"}) == names{nfd, "Áp phích (2).png"});
    REQUIRE(kho::api::zip_entry_names({"Áp phích.png", "ÁP PHÍCH.PNG", "áp phích.png"}) ==
            names{"Áp phích.png", "ÁP PHÍCH (2).PNG", "áp phích (3).png"});
    // A folder in one case and a file in another.
    REQUIRE(kho::api::zip_entry_names({"Ảnh/1.jpg", "ảnh"}) == names{"Ảnh/1.jpg", "ảnh (2)"});
    // Letters that differ stay as they are.
    REQUIRE(kho::api::zip_entry_names({"Da.png", "Đa.png"}) == names{"Da.png", "Đa.png"});
}

// Found by fuzz/zip_names_fuzz: " (2)" made a 255-byte name 259 bytes long,
// a component that file systems refuse to create.
TEST_CASE("zip_archive: a numbered duplicate stays within 255 bytes", "[zip][fuzz]") {
    std::string long_name;
    for (int i = 0; i < 83; ++i) long_name += "ệ";  // 249 bytes
    long_name += ".jpeg";                           // 254 bytes
    const auto names = kho::api::zip_entry_names({long_name, long_name, long_name + "x"});
    REQUIRE(names.size() == 3);
    CHECK(names[0] == long_name);
    CHECK(names[1].size() <= 255);
    CHECK(kho::is_valid_utf8(names[1]));
    CHECK(names[1].ends_with(" (2).jpeg"));
    CHECK(names[1].starts_with("ệệệ"));
    // No extension worth keeping: the number goes at the end.
    const std::string no_ext(255, 'a');
    const auto plain = kho::api::zip_entry_names({no_ext, no_ext});
    CHECK(plain[1] == std::string(251, 'a') + " (2)");
}

TEST_CASE("zip_archive: plan_zip rejects invalid entries", "[zip]") {
    kho::test::temp_dir dir("kho-zip");
    write_file(dir.path() / "ten", "0123456789");
    const auto fd = open_fd(dir.path() / "ten");
    auto text = [](std::string name) {
        zip_entry e;
        e.name = std::move(name);
        e.bytes = "x";
        return e;
    };
    auto file = [&](std::string name, std::uint64_t offset, std::uint64_t length) {
        zip_entry e;
        e.name = std::move(name);
        e.file = file_segment{fd, offset, length, nullptr, {}};
        return e;
    };
    auto rejected = [](std::vector<zip_entry> entries) {
        auto r = kho::api::plan_zip(std::move(entries));
        return !r && r.error().code == kho::errc::invalid_parameter;
    };

    REQUIRE(
        kho::api::plan_zip({text("a.txt"), file("b.txt", 0, 10), file("c.txt", 4, 6)}).has_value());
    REQUIRE(kho::api::plan_zip({}).has_value());  // an empty archive is a valid one

    zip_entry neither;
    neither.name = "n.txt";
    REQUIRE(rejected({neither}));
    auto both = file("both.txt", 0, 10);
    both.bytes = "x";
    REQUIRE(rejected({both}));
    REQUIRE(rejected({text("")}));
    REQUIRE(rejected({text(std::string(70'000, 'a'))}));
    REQUIRE(rejected({text("a.txt"), text("a.txt")}));
    REQUIRE(rejected({text("a.txt"), file("A.TXT", 0, 10)}));
    REQUIRE(rejected({file("long.txt", 0, 11)}));
    REQUIRE(rejected({file("past.txt", 5, 6)}));
    REQUIRE(rejected({file("beyond.txt", 11, 0)}));
    auto closed = file("closed.txt", 0, 0);
    closed.file->fd = nullptr;
    REQUIRE(rejected({closed}));
}

TEST_CASE("zip_archive: DOS time is UTC and clamped, the extended timestamp exact", "[zip]") {
    struct when {
        std::int64_t modified;
        std::uint16_t dos_time;
        std::uint16_t dos_date;
        bool has_unix_time;
    };
    const std::vector<when> cases{
        {1'700'000'001, (22 << 11) | (13 << 5) | 10, (43 << 9) | (11 << 5) | 14, true},
        {0, 0, (1 << 5) | 1, true},  // before 1980: DOS clamps, 0x5455 keeps 1970
        {5'000'000'000, (23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31, false},
        {-1, 0, (1 << 5) | 1, false},
    };
    for (const auto& c : cases) {
        INFO("modified " << c.modified);
        zip_entry e;
        e.name = "t.txt";
        e.bytes = "x";
        e.modified = c.modified;
        const auto bytes = concat(plan({e}).parts);
        REQUIRE(u16(bytes, 10) == c.dos_time);
        REQUIRE(u16(bytes, 12) == c.dos_date);
        const auto lh = parse_local(bytes, 0);
        REQUIRE(lh.extra.count(0x5455) == (c.has_unix_time ? 1u : 0u));
        if (c.has_unix_time) {
            REQUIRE(lh.extra.at(0x5455).size() == 5);
            REQUIRE(lh.extra.at(0x5455)[0] == 1);
            REQUIRE(u32(lh.extra.at(0x5455), 1) == static_cast<std::uint32_t>(c.modified));
        }
    }
}

TEST_CASE("zip_archive: crc32_of_file matches zlib over memory", "[zip]") {
    kho::test::temp_dir dir("kho-zip");
    const auto content = random_bytes(3 * (1 << 20) + 123, 8);
    write_file(dir.path() / "data", content);
    const auto fd = open_fd(dir.path() / "data");

    REQUIRE(kho::api::crc32_of_file(fd->get(), 0, content.size()).value() == zlib_crc(content));
    REQUIRE(kho::api::crc32_of_file(fd->get(), 1000, (2 << 20) + 7).value() ==
            zlib_crc(content.substr(1000, (2 << 20) + 7)));
    REQUIRE(kho::api::crc32_of_file(fd->get(), 5, 0).value() == 0);

    write_file(dir.path() / "check", "123456789");
    REQUIRE(kho::api::crc32_of_file(open_fd(dir.path() / "check")->get(), 0, 9).value() ==
            0xCBF43926);

    auto short_read = kho::api::crc32_of_file(fd->get(), 0, content.size() + 1);
    REQUIRE(!short_read);
    REQUIRE(short_read.error().code == kho::errc::internal);
    auto bad_fd = kho::api::crc32_of_file(-1, 0, 1);
    REQUIRE(!bad_fd);
    REQUIRE(bad_fd.error().code == kho::errc::internal);
}
