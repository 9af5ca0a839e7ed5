#include "api/zip_archive.hpp"

#include "core/file_name.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>
#include <set>

namespace kho::api {
namespace {

constexpr std::uint32_t local_header_sig = 0x04034b50;
constexpr std::uint32_t central_header_sig = 0x02014b50;
constexpr std::uint32_t zip64_eocd_sig = 0x06064b50;
constexpr std::uint32_t zip64_locator_sig = 0x07064b50;
constexpr std::uint32_t eocd_sig = 0x06054b50;

constexpr std::uint16_t version_made_by = (3 << 8) | 63;  // Unix, APPNOTE 6.3
constexpr std::uint16_t version_classic = 20;
constexpr std::uint16_t version_zip64 = 45;
constexpr std::uint16_t flag_utf8 = 1 << 11;
constexpr std::uint16_t method_stored = 0;
constexpr std::uint16_t method_deflated = 8;
constexpr std::uint32_t external_attributes = 0100644u << 16;  // regular file, rw-r--r--

constexpr std::uint16_t max16 = 0xFFFF;
constexpr std::uint32_t max32 = 0xFFFFFFFF;

void put16(std::string& out, std::uint16_t v) {
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>(v >> 8);
}

void put32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// A 32-bit field, or the ZIP64 sentinel when the value needs the extra field.
std::uint32_t field32(std::uint64_t v) {
    return v >= max32 ? max32 : static_cast<std::uint32_t>(v);
}

std::uint32_t crc32_update(std::uint32_t crc, const char* data, std::size_t size) {
    constexpr std::size_t chunk = 1u << 30;  // zlib counts in uInt
    while (size > 0) {
        const auto n = static_cast<uInt>(std::min(size, chunk));
        crc = static_cast<std::uint32_t>(::crc32(crc, reinterpret_cast<const Bytef*>(data), n));
        data += n;
        size -= n;
    }
    return crc;
}

// Raw deflate (no zlib header), level 6. Empty when it fails, or when the
// result would not be smaller than the input.
std::string deflate_raw(const std::string& in) {
    if (in.empty()) return {};
    z_stream z{};
    if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, deflateEnd);
    std::string out(in.size(), '\0');  // anything not smaller is useless
    constexpr std::size_t chunk = 1u << 30;
    std::size_t in_pos = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
        const std::size_t in_n = std::min(in.size() - in_pos, chunk);
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
        z.avail_in = static_cast<uInt>(in_n);
        const std::size_t out_n = std::min(out.size() - z.total_out, chunk);
        if (out_n == 0) return {};
        z.next_out = reinterpret_cast<Bytef*>(out.data() + z.total_out);
        z.avail_out = static_cast<uInt>(out_n);
        const bool last = in_pos + in_n == in.size();
        rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
        in_pos += in_n - z.avail_in;
    }
    if (rc != Z_STREAM_END || z.total_out >= in.size()) return {};
    out.resize(z.total_out);
    return out;
}

struct dos_time {
    std::uint16_t time = 0;
    std::uint16_t date = 0;
};

// DOS date/time in UTC (2-second resolution), clamped to 1980-01-01 00:00:00
// .. 2107-12-31 23:59:58.
dos_time to_dos_time(std::int64_t unix_seconds) {
    constexpr std::int64_t min_time = 315532800;   // 1980-01-01T00:00:00Z
    constexpr std::int64_t max_time = 4354819198;  // 2107-12-31T23:59:58Z
    const auto t = static_cast<std::time_t>(std::clamp(unix_seconds, min_time, max_time));
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    dos_time d;
    d.time = static_cast<std::uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
    d.date = static_cast<std::uint16_t>(((tm.tm_year + 1900 - 1980) << 9) | ((tm.tm_mon + 1) << 5) |
                                        tm.tm_mday);
    return d;
}

// What the headers of one entry need.
struct entry_layout {
    std::string name;
    std::int64_t modified = 0;
    std::uint16_t method = method_stored;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0;
    std::uint64_t uncompressed = 0;
    std::uint64_t offset = 0;  // of the local header
};

bool sizes_need_zip64(const entry_layout& e) {
    return e.compressed >= max32 || e.uncompressed >= max32;
}

bool needs_zip64(const entry_layout& e) {
    return sizes_need_zip64(e) || e.offset >= max32;
}

// Extended timestamp (0x5455) with the modification time only; the same
// form in the local and the central header.
std::string timestamp_extra(std::int64_t modified) {
    std::string x;
    if (modified < 0 || modified > std::numeric_limits<std::int32_t>::max()) return x;
    put16(x, 0x5455);
    put16(x, 5);
    x += '\x01';  // modification time present
    put32(x, static_cast<std::uint32_t>(modified));
    return x;
}

void put_common(std::string& out, const entry_layout& e) {
    const auto dt = to_dos_time(e.modified);
    put16(out, needs_zip64(e) ? version_zip64 : version_classic);
    put16(out, flag_utf8);
    put16(out, e.method);
    put16(out, dt.time);
    put16(out, dt.date);
    put32(out, e.crc);
}

void append_local_header(std::string& out, const entry_layout& e) {
    std::string extra;
    if (sizes_need_zip64(e)) {
        // In a local header the zip64 field carries both sizes (APPNOTE 4.5.3).
        put16(extra, 0x0001);
        put16(extra, 16);
        put64(extra, e.uncompressed);
        put64(extra, e.compressed);
    }
    extra += timestamp_extra(e.modified);
    put32(out, local_header_sig);
    put_common(out, e);
    put32(out, sizes_need_zip64(e) ? max32 : static_cast<std::uint32_t>(e.compressed));
    put32(out, sizes_need_zip64(e) ? max32 : static_cast<std::uint32_t>(e.uncompressed));
    put16(out, static_cast<std::uint16_t>(e.name.size()));
    put16(out, static_cast<std::uint16_t>(extra.size()));
    out += e.name;
    out += extra;
}

void append_central_header(std::string& out, const entry_layout& e) {
    // Only the fields that overflow, in the spec's order.
    std::string z64;
    if (e.uncompressed >= max32) put64(z64, e.uncompressed);
    if (e.compressed >= max32) put64(z64, e.compressed);
    if (e.offset >= max32) put64(z64, e.offset);
    std::string extra;
    if (!z64.empty()) {
        put16(extra, 0x0001);
        put16(extra, static_cast<std::uint16_t>(z64.size()));
        extra += z64;
    }
    extra += timestamp_extra(e.modified);
    put32(out, central_header_sig);
    put16(out, version_made_by);
    put_common(out, e);
    put32(out, field32(e.compressed));
    put32(out, field32(e.uncompressed));
    put16(out, static_cast<std::uint16_t>(e.name.size()));
    put16(out, static_cast<std::uint16_t>(extra.size()));
    put16(out, 0);  // comment length
    put16(out, 0);  // disk number start
    put16(out, 0);  // internal attributes
    put32(out, external_attributes);
    put32(out, field32(e.offset));
    out += e.name;
    out += extra;
}

void append_end_records(std::string& out, std::uint64_t count, std::uint64_t cd_offset,
                        std::uint64_t cd_size) {
    // A count of exactly 0xFFFF would read as the sentinel, so zip64 from there.
    const bool zip64 = count >= max16 || cd_offset >= max32 || cd_size >= max32;
    if (zip64) {
        const std::uint64_t record_offset = cd_offset + cd_size;
        put32(out, zip64_eocd_sig);
        put64(out, 44);  // size of the rest of this record
        put16(out, version_made_by);
        put16(out, version_zip64);
        put32(out, 0);  // this disk
        put32(out, 0);  // disk with the central directory
        put64(out, count);
        put64(out, count);
        put64(out, cd_size);
        put64(out, cd_offset);
        put32(out, zip64_locator_sig);
        put32(out, 0);  // disk with the zip64 end record
        put64(out, record_offset);
        put32(out, 1);  // total disks
    }
    const auto count16 = count >= max16 ? max16 : static_cast<std::uint16_t>(count);
    put32(out, eocd_sig);
    put16(out, 0);
    put16(out, 0);
    put16(out, count16);
    put16(out, count16);
    put32(out, field32(cd_size));
    put32(out, field32(cd_offset));
    put16(out, 0);  // comment length
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::uint64_t part_length(const body_segment& part) {
    if (const auto* s = std::get_if<std::string>(&part)) return s->size();
    return std::get<file_segment>(part).length;
}

result<void> check_entry(const zip_entry& e) {
    if (e.bytes.has_value() == e.file.has_value())
        return make_error(errc::invalid_parameter,
                          "zip entry '" + e.name + "' must have exactly one source");
    if (e.name.empty()) return make_error(errc::invalid_parameter, "zip entry without a name");
    if (e.name.size() > max16)
        return make_error(errc::invalid_parameter, "zip entry name longer than 65535 bytes");
    if (e.file) {
        if (!e.file->remote && (!e.file->fd || !*e.file->fd))
            return make_error(errc::invalid_parameter,
                              "zip entry '" + e.name + "' has no open file");
        // A remote store's object: its size is the store's answer already.
        if (e.file->remote) return ok();
        struct stat st {};
        if (::fstat(e.file->fd->get(), &st) != 0 || !S_ISREG(st.st_mode))
            return make_error(errc::invalid_parameter,
                              "zip entry '" + e.name + "' is not a regular file");
        const auto size = static_cast<std::uint64_t>(st.st_size);
        if (e.file->offset > size || e.file->length > size - e.file->offset)
            return make_error(errc::invalid_parameter,
                              "zip entry '" + e.name + "': " + std::to_string(e.file->length) +
                                  " bytes at offset " + std::to_string(e.file->offset) +
                                  " run past the file's end");
    }
    return ok();
}

// One component of a requested name: ASCII controls out first, so that
// ".\x01." counts as dots only; empty when the component is to be dropped.
std::string clean_component(std::string_view raw) {
    std::string s;
    for (char c : raw)
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) s += c;
    if (s.find_first_not_of(" .") == std::string::npos) return {};
    return sanitize_file_name(s);
}

// "stem (n).ext" for the n-th entry of a name. The stem is shortened (at a
// UTF-8 boundary) so that the result stays within sanitize_file_name's 255
// bytes: a 255-byte name plus " (2)" is a component that file systems
// refuse to create (found by fuzz/zip_names_fuzz). An "extension" longer
// than 16 bytes is not one, as in sanitize_file_name.
std::string numbered(const std::string& leaf, int n) {
    constexpr std::size_t max_bytes = 255;
    const auto dot = leaf.find_last_of('.');
    const bool has_ext = dot != std::string::npos && dot > 0 && leaf.size() - dot <= 16;
    std::string stem = has_ext ? leaf.substr(0, dot) : leaf;
    const std::string ext = has_ext ? leaf.substr(dot) : std::string();
    const std::string suffix = " (" + std::to_string(n) + ")";
    const std::size_t room = max_bytes - suffix.size() - ext.size();
    if (stem.size() > room) {
        std::size_t cut = room;
        while (cut > 0 && (static_cast<unsigned char>(stem[cut]) & 0xC0) == 0x80) --cut;
        stem.resize(cut);
    }
    return stem + suffix + ext;
}

std::vector<std::string> clean_path(std::string_view requested) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= requested.size()) {
        auto end = requested.find_first_of("/\\", start);
        if (end == std::string_view::npos) end = requested.size();
        if (auto c = clean_component(requested.substr(start, end - start)); !c.empty())
            parts.push_back(std::move(c));
        start = end + 1;
    }
    if (parts.empty()) parts.emplace_back("file");
    return parts;
}

}  // namespace

result<zip_plan> plan_zip(std::vector<zip_entry> entries) {
    std::set<std::string> seen;
    for (const auto& e : entries) {
        if (auto r = check_entry(e); !r) return r.error();
        if (!seen.insert(ascii_lower(e.name)).second)
            return make_error(errc::invalid_parameter, "duplicate zip entry '" + e.name + "'");
    }

    zip_plan plan;
    std::vector<entry_layout> layouts;
    layouts.reserve(entries.size());
    std::string pending;  // generated bytes not yet pushed as a part
    std::uint64_t offset = 0;
    auto flush = [&] {
        if (pending.empty()) return;
        offset += pending.size();
        plan.parts.emplace_back(std::move(pending));
        pending.clear();
    };

    for (auto& e : entries) {
        entry_layout l;
        l.name = std::move(e.name);
        l.modified = e.modified;
        l.offset = offset + pending.size();
        if (e.file) {
            l.crc = e.crc32;
            l.compressed = l.uncompressed = e.file->length;
            append_local_header(pending, l);
            if (e.file->length > 0) {
                flush();
                offset += e.file->length;
                plan.parts.emplace_back(std::move(*e.file));
            }
        } else {
            const std::string& bytes = *e.bytes;
            l.crc = crc32_update(0, bytes.data(), bytes.size());
            l.uncompressed = bytes.size();
            std::string deflated = deflate_raw(bytes);
            const bool use_deflated = !deflated.empty();
            l.method = use_deflated ? method_deflated : method_stored;
            l.compressed = use_deflated ? deflated.size() : bytes.size();
            append_local_header(pending, l);
            pending += use_deflated ? deflated : bytes;
        }
        layouts.push_back(std::move(l));
    }

    const std::uint64_t cd_offset = offset + pending.size();
    const std::size_t cd_start = pending.size();
    for (const auto& l : layouts) append_central_header(pending, l);
    const std::uint64_t cd_size = pending.size() - cd_start;
    append_end_records(pending, layouts.size(), cd_offset, cd_size);
    flush();
    plan.size = offset;
    return plan;
}

std::vector<body_segment> slice_parts(const std::vector<body_segment>& parts, std::uint64_t first,
                                      std::uint64_t length) {
    std::vector<body_segment> out;
    const std::uint64_t end = first + length;
    std::uint64_t pos = 0;
    for (const auto& part : parts) {
        if (pos >= end) break;
        const std::uint64_t n = part_length(part);
        const std::uint64_t from = std::max(first, pos);
        const std::uint64_t to = std::min(end, pos + n);
        if (from < to) {
            const std::uint64_t skip = from - pos;
            if (const auto* s = std::get_if<std::string>(&part)) {
                out.emplace_back(s->substr(skip, to - from));
            } else {
                file_segment f = std::get<file_segment>(part);
                // Only a whole blob can be checked against its digest.
                if (skip != 0 || to - from != f.length) f.verify_sha256.clear();
                f.offset += skip;
                f.length = to - from;
                out.emplace_back(std::move(f));
            }
        }
        pos += n;
    }
    return out;
}

result<std::uint32_t> crc32_of_file(int fd, std::uint64_t offset, std::uint64_t length) {
    constexpr std::uint64_t block = 1 << 20;
    std::vector<char> buf(static_cast<std::size_t>(std::min(block, length)));
    std::uint32_t crc = 0;
    while (length > 0) {
        const auto want = static_cast<std::size_t>(std::min(block, length));
        const ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return make_error(errc::internal,
                              std::string("reading for CRC-32 failed: ") + std::strerror(errno));
        if (n == 0)
            return make_error(errc::internal, "file ended " + std::to_string(length) +
                                                  " bytes early while computing CRC-32");
        crc = crc32_update(crc, buf.data(), static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
        length -= static_cast<std::uint64_t>(n);
    }
    return crc;
}

result<std::uint32_t> crc32_of_blob(const storage::blob_file& file, std::uint64_t length) {
    if (file.fd) return crc32_of_file(file.fd->get(), 0, length);
    auto in = storage::open_stream(file, 0, length);
    if (!in) return in.error();
    std::vector<char> buf(1 << 20);
    std::uint32_t crc = 0;
    for (;;) {
        auto n = (*in)->read(buf.data(), buf.size());
        if (!n) return n.error();
        if (*n == 0) break;
        crc = crc32_update(crc, buf.data(), *n);
    }
    return crc;
}

std::vector<std::string> zip_entry_names(const std::vector<std::string>& requested) {
    std::vector<std::vector<std::string>> paths;
    paths.reserve(requested.size());
    for (const auto& r : requested) paths.push_back(clean_path(r));

    // Folders first: a file may not take the name of a folder that another
    // entry needs, whatever the order. Names are compared by file_name_key,
    // not byte for byte or ASCII-case-insensitively: "Áp.png" in NFD (as
    // macOS uploads it) and in NFC, or "Á.png" and "á.png", are one file
    // once extracted on APFS, NTFS or by libarchive, and one entry would
    // silently overwrite the other (found by fuzz/zip_names_fuzz).
    std::set<std::string> taken;
    for (const auto& p : paths) {
        std::string folder;
        for (std::size_t i = 0; i + 1 < p.size(); ++i) {
            folder += (i ? "/" : "") + p[i];
            taken.insert(file_name_key(folder));
        }
    }

    std::vector<std::string> names;
    names.reserve(paths.size());
    for (const auto& p : paths) {
        std::string folder;
        for (std::size_t i = 0; i + 1 < p.size(); ++i) folder += p[i] + "/";
        const std::string& leaf = p.back();
        std::string name = folder + leaf;
        if (taken.contains(file_name_key(name))) {
            for (int n = 2;; ++n) {
                name = folder + numbered(leaf, n);
                if (!taken.contains(file_name_key(name))) break;
            }
        }
        taken.insert(file_name_key(name));
        names.push_back(std::move(name));
    }
    return names;
}

}  // namespace kho::api
