#include "storage/blob_store.hpp"
#include "core/sha256.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using kho::errc;
using kho::storage::blob_info;
using kho::storage::blob_writer;
using kho::storage::local_blob_store;

namespace {

using kho::test::temp_dir;

constexpr const char* k_sha256_abc =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* k_sha256_empty =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::uint64_t k_no_limit = std::uint64_t{1} << 40;

std::size_t count_entries(const fs::path& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
    return n;
}

std::size_t count_files(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) ++n;
    return n;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string read_fd(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
}

void write_file(const fs::path& p, const std::string& content) {
    std::ofstream out(p, std::ios::binary);
    out << content;
}

struct fixture {
    temp_dir dir;
    std::unique_ptr<local_blob_store> store;

    fixture() {
        auto s = local_blob_store::open(dir.path());
        REQUIRE(s.has_value());
        store = std::move(*s);
    }

    blob_writer begin(std::uint64_t max_size = k_no_limit) {
        auto w = store->begin_write(max_size);
        REQUIRE(w.has_value());
        return std::move(*w);
    }

    // write + finish + place; returns the digest info and whether it was new.
    std::pair<blob_info, bool> put(const std::string& content) {
        auto w = begin();
        REQUIRE(w.write(content.data(), content.size()).has_value());
        auto info = w.finish();
        REQUIRE(info.has_value());
        auto placed = store->place(w, *info);
        REQUIRE(placed.has_value());
        return {*info, *placed};
    }

    fs::path tmp() const { return dir.path() / "tmp"; }
    fs::path blobs() const { return dir.path() / "blobs" / "sha256"; }
};

}  // namespace

TEST_CASE("local_blob_store::open creates its directories", "[blob_store]") {
    temp_dir dir;
    auto data = dir.path() / "data";  // does not exist yet
    auto store = local_blob_store::open(data);
    REQUIRE(store.has_value());
    CHECK(fs::is_directory(data / "blobs" / "sha256"));
    CHECK(fs::is_directory(data / "tmp"));
    CHECK((*store)->tmp_dir().string() == (data / "tmp").string());
    // Opening again is fine.
    REQUIRE(local_blob_store::open(data).has_value());
}

TEST_CASE("write, finish and place store the blob under its SHA-256", "[blob_store]") {
    fixture f;
    auto w = f.begin();
    CHECK(w.tmp_path().parent_path().string() == f.tmp().string());
    CHECK(w.tmp_path().filename().string().starts_with("upload-"));
    REQUIRE(w.write("a", 1).has_value());
    REQUIRE(w.write("bc", 2).has_value());
    CHECK(w.size() == 3);
    auto info = w.finish();
    REQUIRE(info.has_value());
    CHECK(info->sha256 == k_sha256_abc);
    CHECK(info->size == 3);

    auto placed = f.store->place(w, *info);
    REQUIRE(placed.has_value());
    CHECK(*placed);

    auto expected = f.blobs() / "ba" / "78" / k_sha256_abc;
    CHECK(f.store->path_of(k_sha256_abc).string() == expected.string());
    REQUIRE(fs::is_regular_file(expected));
    CHECK(read_file(expected) == "abc");
    CHECK(f.store->exists(k_sha256_abc));
    CHECK(count_entries(f.tmp()) == 0);

    SECTION("blobs are read-only") {
        struct stat st {};
        REQUIRE(::stat(expected.c_str(), &st) == 0);
        CHECK((st.st_mode & 0222) == 0);
    }
    SECTION("the writer no longer owns the file") {
        { blob_writer gone = std::move(w); }
        CHECK(fs::is_regular_file(expected));
    }
}

TEST_CASE("hashing matches known vectors", "[blob_store]") {
    fixture f;
    SECTION("empty blob") {
        auto [info, fresh] = f.put("");
        CHECK(info.sha256 == k_sha256_empty);
        CHECK(info.size == 0);
        CHECK(fresh);
        CHECK(fs::file_size(f.blobs() / "e3" / "b0" / k_sha256_empty) == 0);
    }
    SECTION("two-block message") {
        auto [info, fresh] = f.put("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
        CHECK(info.sha256 == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        CHECK(fresh);
    }
    SECTION("a megabyte in uneven chunks equals the one-shot digest") {
        std::string content;
        for (int i = 0; content.size() < (1u << 20); ++i)
            content += "Áp phích Nghị quyết 71 - " + std::to_string(i) + "\n";
        auto w = f.begin();
        size_t pos = 0;
        size_t chunk = 1;
        while (pos < content.size()) {
            auto n = std::min(chunk, content.size() - pos);
            REQUIRE(w.write(content.data() + pos, n).has_value());
            pos += n;
            chunk = chunk * 3 + 7;
            if (chunk > 70000) chunk = 13;
        }
        auto info = w.finish();
        REQUIRE(info.has_value());
        CHECK(info->sha256 == kho::sha256::hex_of(content));
        CHECK(info->size == content.size());
        REQUIRE(f.store->place(w, *info).has_value());
        CHECK(read_file(f.store->path_of(info->sha256)) == content);
    }
}

TEST_CASE("a writer destroyed without place leaves nothing", "[blob_store]") {
    fixture f;
    SECTION("before finish") {
        {
            auto w = f.begin();
            REQUIRE(w.write("abc", 3).has_value());
            CHECK(fs::exists(w.tmp_path()));
            CHECK(count_entries(f.tmp()) == 1);
        }
        CHECK(count_entries(f.tmp()) == 0);
    }
    SECTION("after finish") {
        {
            auto w = f.begin();
            REQUIRE(w.write("abc", 3).has_value());
            REQUIRE(w.finish().has_value());
        }
        CHECK(count_entries(f.tmp()) == 0);
        CHECK_FALSE(f.store->exists(k_sha256_abc));
    }
    SECTION("moved writers clean up once") {
        {
            auto w = f.begin();
            REQUIRE(w.write("abc", 3).has_value());
            blob_writer moved(std::move(w));
            CHECK(fs::exists(moved.tmp_path()));
        }
        CHECK(count_entries(f.tmp()) == 0);
    }
    CHECK(count_files(f.blobs()) == 0);
}

TEST_CASE("exceeding max_size is refused and nothing stays", "[blob_store]") {
    fixture f;
    SECTION("exactly max_size is fine") {
        auto w = f.begin(3);
        REQUIRE(w.write("abc", 3).has_value());
        auto info = w.finish();
        REQUIRE(info.has_value());
        CHECK(info->sha256 == k_sha256_abc);
    }
    SECTION("one byte more") {
        {
            auto w = f.begin(10);
            REQUIRE(w.write("0123456", 7).has_value());
            auto r = w.write("7890", 4);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::payload_too_large);
            // The refused chunk was not written.
            CHECK(w.size() == 7);
            CHECK(fs::file_size(w.tmp_path()) == 7);
        }
        CHECK(count_entries(f.tmp()) == 0);
        CHECK(count_files(f.blobs()) == 0);
    }
    SECTION("a single huge write") {
        {
            auto w = f.begin(1024);
            std::string big(4096, 'x');
            auto r = w.write(big.data(), big.size());
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::payload_too_large);
        }
        CHECK(count_entries(f.tmp()) == 0);
    }
    SECTION("max_size 0") {
        {
            auto w = f.begin(0);
            CHECK(w.write("", 0).has_value());
            auto r = w.write("a", 1);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::payload_too_large);
        }
        CHECK(count_entries(f.tmp()) == 0);
    }
}

TEST_CASE("writes after finish are refused", "[blob_store]") {
    fixture f;
    auto w = f.begin();
    REQUIRE(w.write("abc", 3).has_value());
    REQUIRE(w.finish().has_value());
    CHECK_FALSE(w.write("d", 1).has_value());
    CHECK_FALSE(w.finish().has_value());
}

TEST_CASE("placing the same bytes twice keeps one file", "[blob_store]") {
    fixture f;
    auto [first, first_new] = f.put("Áp phích Nghị quyết 71");
    CHECK(first_new);
    auto [second, second_new] = f.put("Áp phích Nghị quyết 71");
    CHECK_FALSE(second_new);
    CHECK(second.sha256 == first.sha256);
    CHECK(count_files(f.blobs()) == 1);
    CHECK(count_entries(f.tmp()) == 0);
    CHECK(read_file(f.store->path_of(first.sha256)) == "Áp phích Nghị quyết 71");
}

TEST_CASE("place refuses a malformed digest", "[blob_store]") {
    fixture f;
    auto w = f.begin();
    REQUIRE(w.write("abc", 3).has_value());
    REQUIRE(w.finish().has_value());
    for (const std::string& bad :
         std::vector<std::string>{"", "abc", "../../../../etc/passwd", std::string(64, 'g'),
                                  std::string(k_sha256_abc).substr(0, 63)}) {
        auto r = f.store->place(w, blob_info{bad, 3});
        CHECK_FALSE(r.has_value());
    }
    CHECK(count_files(f.blobs()) == 0);
}

TEST_CASE("open_read", "[blob_store]") {
    fixture f;
    std::string content = "Thầy ra thầy, trò ra trò.\n";
    auto [info, fresh] = f.put(content);
    REQUIRE(fresh);

    auto file = f.store->open_read(info.sha256);
    REQUIRE(file.has_value());
    CHECK(file->size == content.size());
    REQUIRE(file->fd->get() >= 0);
    CHECK(read_fd(file->fd->get()) == content);

    SECTION("missing blob") {
        auto missing = f.store->open_read(k_sha256_empty);
        REQUIRE_FALSE(missing.has_value());
        CHECK(missing.error().code == errc::not_found);
    }
    SECTION("not a digest") {
        for (std::string bad :
             {"", "../tmp", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"}) {
            auto r = f.store->open_read(bad);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::not_found);
            CHECK_FALSE(f.store->exists(bad));
        }
    }
}

TEST_CASE("remove", "[blob_store]") {
    fixture f;
    auto [abc, abc_new] = f.put("abc");
    auto [other, other_new] = f.put("Đào tạo");
    REQUIRE(f.store->exists(abc.sha256));
    // Opened once, so its descriptor is in the open-file cache: removal must
    // drop it from there too.
    REQUIRE(f.store->open_read(abc.sha256).has_value());

    REQUIRE(f.store->remove(abc.sha256).has_value());
    CHECK_FALSE(f.store->exists(abc.sha256));
    CHECK_FALSE(fs::exists(f.store->path_of(abc.sha256)));
    auto r = f.store->open_read(abc.sha256);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::not_found);
    // Other blobs are untouched.
    CHECK(f.store->exists(other.sha256));

    SECTION("removing again is not an error") {
        CHECK(f.store->remove(abc.sha256).has_value());
    }
    SECTION("the same content can be stored again") {
        auto [again, again_new] = f.put("abc");
        CHECK(again_new);
        CHECK(f.store->exists(abc.sha256));
    }
}

// BUG: storage/blob_store.cpp local_blob_store::remove() ignores ENOENT from
// unlink() (removing a missing blob is meant to succeed) but then calls
// fsync_dir() on blobs/sha256/ab/cd, which fails with errc::internal when that
// directory was never created. So removing a missing blob succeeds or fails
// depending on whether another blob shares its first four hex digits.
TEST_CASE("removing a blob that was never stored is not an error", "[blob_store][bug]") {
    fixture f;
    REQUIRE_FALSE(fs::exists(f.blobs() / "e3"));
    auto r = f.store->remove(k_sha256_empty);
    CHECK(r.has_value());
    CHECK_FALSE(f.store->exists(k_sha256_empty));
}

TEST_CASE("clean_tmp removes upload leftovers only", "[blob_store]") {
    fixture f;
    // A crash between finish() and place(): the writer never got to clean up.
    {
        auto w = f.begin();
        REQUIRE(w.write("abc", 3).has_value());
        w.release();
    }
    write_file(f.tmp() / "upload-0123456789abcdef.part", "partial upload");
    write_file(f.tmp() / "upload-", "");
    fs::create_directory(f.tmp() / "resumable-01KAZ8MSBS7RQ4ZV1D8XE9J2MN");
    write_file(f.tmp() / "resumable-01KAZ8MSBS7RQ4ZV1D8XE9J2MN" / "upload-chunk-0001", "chunk");
    fs::create_directory(f.tmp() / "upload-session");
    write_file(f.tmp() / "upload-session" / "state.json", "{}");
    write_file(f.tmp() / "README", "not an upload");
    REQUIRE(count_entries(f.tmp()) == 6);

    CHECK(f.store->clean_tmp() == 3);
    CHECK_FALSE(fs::exists(f.tmp() / "upload-0123456789abcdef.part"));
    CHECK_FALSE(fs::exists(f.tmp() / "upload-"));
    // Subdirectories (resumable uploads) and their contents stay.
    CHECK(fs::is_regular_file(f.tmp() / "resumable-01KAZ8MSBS7RQ4ZV1D8XE9J2MN" /
                              "upload-chunk-0001"));
    CHECK(fs::is_regular_file(f.tmp() / "upload-session" / "state.json"));
    CHECK(fs::is_regular_file(f.tmp() / "README"));
    CHECK(count_entries(f.tmp()) == 3);

    CHECK(f.store->clean_tmp() == 0);
}

TEST_CASE("clean_tmp on an empty tmp directory", "[blob_store]") {
    fixture f;
    CHECK(f.store->clean_tmp() == 0);
}

TEST_CASE("for_each lists every blob", "[blob_store]") {
    fixture f;
    std::vector<std::string> contents{"abc", "", "Áp phích Nghị quyết 71",
                                      "Infographic chuyển đổi số", std::string(100000, 'v')};
    std::map<std::string, std::uint64_t> expected;
    for (const auto& c : contents) {
        auto [info, fresh] = f.put(c);
        expected[info.sha256] = info.size;
    }
    f.put("abc");  // a duplicate adds nothing
    // Stray files that are not blobs are skipped.
    write_file(f.blobs() / "ba" / "78" / "notes.txt", "not a blob");
    write_file(f.blobs() / "README", "not a blob");

    std::map<std::string, std::uint64_t> seen;
    f.store->for_each([&](const blob_info& b) {
        CHECK(seen.count(b.sha256) == 0);
        seen[b.sha256] = b.size;
    });
    CHECK(seen == expected);
    CHECK(seen.size() == 5);
}

TEST_CASE("for_each on an empty store", "[blob_store]") {
    fixture f;
    int calls = 0;
    f.store->for_each([&](const blob_info&) { ++calls; });
    CHECK(calls == 0);
}

TEST_CASE("fsync_dir", "[blob_store]") {
    temp_dir dir;
    CHECK(kho::storage::fsync_dir(dir.path()).has_value());
    auto r = kho::storage::fsync_dir(dir.path() / "missing");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::internal);
}
