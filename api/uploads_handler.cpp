#include "api/uploads_handler.hpp"

#include "api/access.hpp"
#include "api/app.hpp"
#include "api/conditional.hpp"
#include "api/metadata_fields.hpp"
#include "api/problem.hpp"
#include "api/router.hpp"
#include "api/tus_headers.hpp"
#include "api/upload_sink.hpp"
#include "core/file_name.hpp"
#include "core/resumable_sha256.hpp"
#include "media/type_sniffer.hpp"
#include "storage/asset_store.hpp"
#include "storage/upload_store.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <memory>

namespace kho::api {
namespace {

using boost::asio::awaitable;
using storage::upload_record;
using json = nlohmann::json;

constexpr std::string_view k_extensions =
    "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination,"
    "concatenation";
constexpr std::string_view k_offset_type = "application/offset+octet-stream";
constexpr std::uint64_t k_writeback_step = 1u << 20;

response tus_problem(const error& e, const request& req) {
    auto r = problem_response(e, req.path);
    if (e.code == errc::precondition_failed) r.headers.set("Tus-Version", std::string(tus_version));
    return r;
}

response no_content() {
    response r;
    r.status = 204;
    return r;
}

result<void> check_version(const request& req) {
    auto v = req.headers.get("Tus-Resumable");
    if (!v) return make_error(errc::precondition_failed, "send Tus-Resumable: 1.0.0");
    if (*v != tus_version)
        return make_error(errc::precondition_failed,
                          "this server speaks tus 1.0.0, not " + std::string(*v));
    return ok();
}

std::string upload_path(const ulid& id) {
    return "/api/v1/uploads/" + id.to_string();
}

bool visible_to(const upload_record& r, const request& req) {
    resource on;
    on.owner = r.owner;
    return authorize(req.principal->actor, action::upload_access, on) == access::allow;
}

// Loads an upload the caller may touch; an expired incomplete one is removed
// and answered 410.
result<upload_record> load(app& a, const request& req, std::string_view id_text) {
    auto id = ulid::parse(id_text);
    if (!id) return make_error(errc::not_found, "no upload with id " + std::string(id_text));
    auto r = a.uploads.get(*id);
    if (!r) return r.error();
    if (!visible_to(*r, req))
        return make_error(errc::not_found, "no upload with id " + std::string(id_text));
    if (!r->asset_id && r->expires_at <= a.uploads.clock().now()) {
        (void)a.uploads.remove(*id);
        return make_error(errc::gone, "the upload expired and was removed");
    }
    return r;
}

void set_upload_headers(response& resp, const upload_record& r) {
    resp.headers.set("Upload-Offset", std::to_string(r.offset));
    if (r.length)
        resp.headers.set("Upload-Length", std::to_string(*r.length));
    else
        resp.headers.set("Upload-Defer-Length", "1");
    if (!r.metadata.empty()) resp.headers.set("Upload-Metadata", r.metadata);
    if (!r.asset_id) resp.headers.set("Upload-Expires", format_http_date(r.expires_at / 1000));
    if (r.concat == upload_record::concat_kind::partial)
        resp.headers.set("Upload-Concat", "partial");
    if (r.concat == upload_record::concat_kind::final) {
        std::string v = "final;";
        for (size_t i = 0; i < r.parts.size(); ++i)
            v += (i ? " /api/v1/uploads/" : "/api/v1/uploads/") + r.parts[i];
        resp.headers.set("Upload-Concat", v);
    }
    if (r.asset_id) resp.headers.set("Kho-Asset-Id", *r.asset_id);
    resp.headers.set("Cache-Control", "no-store");
}

// The asset fields and target carried in Upload-Metadata. Keys that tus
// clients add on their own (name, type, filetype, relativePath) are ignored.
struct upload_metadata {
    metadata_fields fields;
    std::string file_name = "file";
    std::optional<ulid> asset_id;
};

result<upload_metadata> read_metadata(std::string_view raw) {
    auto pairs = parse_upload_metadata(raw);
    if (!pairs) return pairs.error();
    upload_metadata m;
    std::optional<std::string> name;
    for (auto& [key, value] : *pairs) {
        if (key == "filename" || (key == "name" && !name)) {
            name = value;
        } else if (key == "asset_id") {
            auto id = ulid::parse(value);
            if (!id) return make_error(errc::invalid_parameter, "asset_id is not an asset id");
            m.asset_id = *id;
        } else if (key == "title" || key == "description" || key == "tags" || key == "kind" ||
                   key == "campaign" || key == "language") {
            if (auto r = m.fields.add(key, value); !r) return r.error();
        }
    }
    if (name) m.file_name = sanitize_file_name(*name);
    // Validate the asset fields now, not after gigabytes have arrived.
    if (auto check = build_metadata(m.fields, m.file_name, sniffed_type{"", asset_kind::other});
        !check)
        return check.error();
    return m;
}

// Incremental digest of one PATCH body for Upload-Checksum.
class chunk_digest {
  public:
    explicit chunk_digest(const upload_checksum& c)
        : expected_(c.digest), ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        EVP_DigestInit_ex(ctx_.get(), EVP_get_digestbyname(c.algorithm.c_str()), nullptr);
    }
    void update(std::string_view d) { EVP_DigestUpdate(ctx_.get(), d.data(), d.size()); }
    bool matches() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx_.get(), md, &len);
        return std::string_view(reinterpret_cast<char*>(md), len) == expected_;
    }

  private:
    std::string expected_;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

error io_failure(const char* what) {
    if (errno == ENOSPC || errno == EDQUOT)
        return make_error(errc::insufficient_storage, "the disk is full");
    return make_error(errc::internal, std::string(what) + ": " + std::strerror(errno));
}

// Appends the request body at the record's offset, then makes the new bytes
// durable and commits the new offset and digest state. Bytes received before
// the client went away are kept (the client resumes from them), unless the
// request carried a checksum that can no longer be verified.
// Claims the upload for this request. A request still holding it (a PATCH
// whose connection died without a FIN, as on a network switch) is aborted:
// it saves what it received and lets go, and this request goes on if the
// upload's offset is still the one it expects.
awaitable<result<void>> claim_upload(app& a, request& req, upload_record& r,
                                     std::uint64_t expected_offset) {
    if (!a.uploads.claim(r.id, req.body->interrupter())) {
        a.uploads.interrupt(r.id);
        boost::asio::steady_timer wait(co_await boost::asio::this_coro::executor);
        bool claimed = false;
        for (int i = 0; i < 250 && !claimed; ++i) {
            wait.expires_after(std::chrono::milliseconds(20));
            co_await wait.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            claimed = a.uploads.claim(r.id, req.body->interrupter());
        }
        if (!claimed)
            co_return make_error(errc::conflict, "another request is writing to this upload");
    }
    auto fresh = a.uploads.get(r.id);
    if (!fresh) {
        a.uploads.release(r.id);
        co_return fresh.error();
    }
    r = std::move(*fresh);
    if (r.offset != expected_offset) {
        a.uploads.release(r.id);
        co_return make_error(errc::conflict, "Upload-Offset is " + std::to_string(expected_offset) +
                                                 " but the upload has " + std::to_string(r.offset) +
                                                 " bytes");
    }
    co_return ok();
}

// Puts an upload back at its checkpoint (bytes known to be on disk): the
// file is cut there and the record says so. `r` becomes the new record.
// Either step may fail alone: a record still at the old offset over a
// shorter file is rolled back by the next PATCH (append_body), a longer
// file is cut by it.
result<void> roll_back(app& a, int fd, upload_record& r) {
    upload_record back = r;
    back.offset = r.checkpoint;
    back.hash_state = r.checkpoint_hash_state;
    const bool cut = ::ftruncate(fd, static_cast<off_t>(back.offset)) == 0;
    auto failure = cut ? result<void>() : result<void>(io_failure("truncate upload file"));
    if (auto saved = a.uploads.save(back); !saved) return saved.error();
    r = std::move(back);
    return failure;
}

awaitable<result<void>> append_body(app& a, request& req, upload_record& r,
                                    std::uint64_t expected_offset,
                                    std::optional<std::uint64_t> declared_length = {}) {
    std::optional<chunk_digest> digest;
    if (auto h = req.headers.get("Upload-Checksum")) {
        auto c = parse_upload_checksum(*h);
        if (!c) co_return c.error();
        digest.emplace(*c);
    }
    if (auto c = co_await claim_upload(a, req, r, expected_offset); !c) co_return c.error();
    struct release_guard {
        storage::upload_store& s;
        ulid id;
        ~release_guard() { s.release(id); }
    } guard{a.uploads, r.id};
    if (declared_length) {  // creation-defer-length: the size arrives with a PATCH
        if (r.length && *r.length != *declared_length)
            co_return make_error(errc::bad_request, "Upload-Length cannot change");
        if (*declared_length < r.offset || *declared_length > a.limits.max_upload_bytes)
            co_return make_error(errc::payload_too_large, "Upload-Length is not possible");
        r.length = declared_length;
    }

    auto path = a.uploads.file_of(r.id);
    storage::unique_fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) co_return io_failure("open upload file");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) co_return io_failure("stat upload file");
    if (static_cast<std::uint64_t>(st.st_size) < r.offset) {
        // Acknowledged bytes are gone (a checkpoint's fsync failed and its
        // rollback could not be recorded). Extending the file would fill
        // the gap with zeros that the digest state never saw: go back to
        // the checkpoint, which is on disk, and let the client resume.
        if (static_cast<std::uint64_t>(st.st_size) < r.checkpoint)
            co_return make_error(errc::internal, "the upload's file lost durable bytes");
        if (auto back = roll_back(a, fd.get(), r); !back) co_return back.error();
        co_return make_error(errc::conflict, "the upload went back to its last checkpoint at " +
                                                 std::to_string(r.offset) +
                                                 " bytes; ask for its offset (HEAD) and resume");
    }
    // Bytes past the committed offset were never acknowledged: drop them.
    if (static_cast<std::uint64_t>(st.st_size) != r.offset &&
        ::ftruncate(fd.get(), static_cast<off_t>(r.offset)) != 0)
        co_return io_failure("truncate upload file");
    if (::lseek(fd.get(), static_cast<off_t>(r.offset), SEEK_SET) < 0)
        co_return io_failure("seek upload file");
    resumable_sha256 hash;
    if (r.offset > 0 && !resumable_sha256::restore(r.hash_state, hash))
        co_return make_error(errc::internal, "the upload's digest state is damaged");

    std::uint64_t received = 0;
    std::uint64_t flushed = 0;
    std::optional<error> stop;
    for (;;) {
        auto chunk = co_await req.body->next();
        if (!chunk) {
            stop = chunk.error();
            break;
        }
        if (chunk->empty()) break;
        std::uint64_t limit = r.length.value_or(a.limits.max_upload_bytes);
        if (r.offset + received + chunk->size() > limit) {
            stop = make_error(errc::payload_too_large,
                              "the data goes past the upload's length of " + std::to_string(limit));
            break;
        }
        for (size_t done = 0; done < chunk->size();) {
            ssize_t n = ::write(fd.get(), chunk->data() + done, chunk->size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) co_return io_failure("write upload file");
            done += static_cast<size_t>(n);
        }
        hash.update(*chunk);
        if (digest) digest->update(*chunk);
        received += chunk->size();
        // Start writing back what has arrived while more arrives, so that
        // the fdatasync that acknowledges the chunk has little left to do.
        if (received - flushed >= k_writeback_step) {
            ::sync_file_range(fd.get(), static_cast<off_t>(r.offset + flushed),
                              static_cast<off_t>(received - flushed), SYNC_FILE_RANGE_WRITE);
            flushed = received;
        }
    }
    if (digest && (stop || !digest->matches())) {
        (void)::ftruncate(fd.get(), static_cast<off_t>(r.offset));
        if (stop) co_return *stop;
        co_return make_error(errc::checksum_mismatch,
                             "the data does not match Upload-Checksum; nothing of it was kept");
    }
    if (received > 0) {
        upload_record next = r;
        next.offset += received;
        next.hash_state = hash.state();
        // Every append is recorded at once (it survives a crash of the
        // process); the bytes are made durable with a checkpoint every
        // 256 MiB or 10 s and at completion, rather than an fsync per chunk,
        // which halved throughput with 8 MiB chunks.
        bool last = next.length && next.offset == *next.length;
        result<void> saved = ok();
        if (last || a.uploads.checkpoint_due(next)) {
            saved = co_await run_blocking(a, [&]() -> result<void> {
                if (::fdatasync(fd.get()) != 0) {
                    // Never fsync again and acknowledge: after a failed
                    // fsync the kernel may have dropped the unwritten pages
                    // and a second fsync would succeed without them. What
                    // was acknowledged since the checkpoint is given up;
                    // the client resends it (its next PATCH gets 409, and
                    // HEAD tells the checkpoint's offset).
                    auto failure = io_failure("fsync upload file");
                    (void)roll_back(a, fd.get(), r);
                    return failure;
                }
                return a.uploads.save(next, true);
            });
        } else {
            saved = a.uploads.save_progress(next);
        }
        if (!saved) co_return saved.error();
        r = std::move(next);
    }
    if (stop) co_return *stop;
    co_return ok();
}

// The first bytes of a finished upload, for the type check: from its file,
// or from the blob the file was already moved into (the server stopped
// between placing the blob and committing the asset). Nothing when neither
// is there any more.
result<std::optional<std::string>> upload_head(app& a, const std::filesystem::path& path,
                                               const storage::blob_info& info) {
    std::string head(std::min<std::uint64_t>(media::sniff_bytes, info.size), '\0');
    storage::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd && errno != ENOENT) return io_failure("open upload file");
    if (fd) {
        ssize_t n = ::pread(fd.get(), head.data(), head.size(), 0);
        if (n < 0) return io_failure("read upload file");
        head.resize(static_cast<size_t>(n));
        return head;
    }
    auto blob = a.blobs.open_read(info.sha256);
    if (!blob) {
        if (blob.error().code == errc::not_found) return std::optional<std::string>{};
        return blob.error();
    }
    if (blob->size != info.size) return std::optional<std::string>{};
    auto in = storage::open_stream(*blob, 0, head.size());
    if (!in) return in.error();
    for (std::size_t got = 0; got < head.size();) {
        auto n = (*in)->read(head.data() + got, head.size() - got);
        if (!n) return n.error();
        if (*n == 0) break;
        got += *n;
    }
    return head;
}

// A complete upload becomes an asset or a version. The upload's record,
// noting what it became, commits in the asset's own batch: after a crash
// either both are there or neither, so a retried completion never makes a
// second asset. A completion cut short after the file was moved into the
// blob store commits from that blob; if the blob is gone too (gc took it
// while nothing referenced it), the upload starts over from offset 0.
awaitable<result<void>> finish_upload(app& a, request& req, upload_record& r) {
    auto meta = read_metadata(r.metadata);
    if (!meta) co_return meta.error();
    resumable_sha256 hash;
    if (r.offset > 0 && !resumable_sha256::restore(r.hash_state, hash))
        co_return make_error(errc::internal, "the upload's digest state is damaged");
    storage::blob_info info{hash.finish_hex(), r.offset};
    auto path = a.uploads.file_of(r.id);
    auto head = co_await run_blocking(a, [&] { return upload_head(a, path, info); });
    if (!head) co_return head.error();
    if (!*head) {
        auto restarted = co_await run_blocking(a, [&]() -> result<void> {
            storage::unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
            if (!fd) return io_failure("create upload file");
            r.offset = r.checkpoint = 0;
            r.hash_state.clear();
            r.checkpoint_hash_state.clear();
            return a.uploads.save(r);
        });
        if (!restarted) co_return restarted.error();
        co_return make_error(errc::conflict,
                             "the upload's bytes were lost before it became an asset; send them "
                             "again from offset 0");
    }
    auto type = check_type(a.limits, **head);
    if (!type) co_return type.error();
    auto asset_meta = build_metadata(meta->fields, meta->file_name, *type);
    if (!asset_meta) co_return asset_meta.error();

    upload_record done = r;
    auto note = [&](rocksdb::WriteBatch& batch, const asset& made, const asset_version& v) {
        done.asset_id = made.id.to_string();
        done.version = v.number;
        a.uploads.stage_save(batch, done);
    };
    auto committed = co_await run_blocking(a, [&]() -> result<void> {
        // Still adopted when the file is gone: placing finds the blob
        // already stored and only references it. Kept when placing fails,
        // for the next attempt.
        auto writer = storage::blob_writer::adopt(path, r.offset, true);
        if (meta->asset_id) {
            auto v = a.assets.add_version(*meta->asset_id, std::move(writer), info, type->mime,
                                          meta->file_name, audit_who(req), note);
            if (!v) return v.error();
        } else {
            auto created = a.assets.create(std::move(*asset_meta), std::move(writer), info,
                                           type->mime, meta->file_name, audit_who(req), note);
            if (!created) return created.error();
        }
        return ok();
    });
    if (!committed) co_return committed.error();
    r = std::move(done);
    // Left behind when the bytes were already stored (deduplicated) or
    // sent to the object store.
    ::unlink(path.c_str());
    co_return ok();
}

bool complete(const upload_record& r) {
    return r.length && r.offset == *r.length;
}

// Storage trouble (full disk, I/O error, the database stopped): the
// upload stays, complete, and a later request finishes it. Anything else
// (a refused type, a target gone) ends it.
bool keeps_upload(const error& e) {
    return e.code == errc::internal || e.code == errc::unavailable ||
           e.code == errc::insufficient_storage || e.code == errc::conflict;
}

// Makes a complete upload its asset, if that has not happened yet: after
// the last append, and when a client asks about it (HEAD, GET): a client
// whose last append got no answer (the server stopped) sees the upload
// complete and asks no more. Done holding the upload's claim, on a fresh
// record, so that two requests never both finish it; when another request
// holds it, that one finishes it.
awaitable<result<void>> maybe_finish(app& a, request& req, upload_record& r) {
    if (!complete(r) || r.concat == upload_record::concat_kind::partial || r.asset_id)
        co_return ok();
    // Only the uploader's own requests finish it: the asset is created in
    // the name of whoever finishes, and an admin who looks at someone
    // else's upload must not become its author (and so free its uploader
    // to approve it).
    if (!req.principal || req.principal->id != r.owner) co_return ok();
    bool claimed = a.uploads.claim(r.id);
    boost::asio::steady_timer wait(co_await boost::asio::this_coro::executor);
    for (int i = 0; i < 50 && !claimed; ++i) {
        wait.expires_after(std::chrono::milliseconds(20));
        co_await wait.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        claimed = a.uploads.claim(r.id);
    }
    if (!claimed) co_return ok();
    struct release_guard {
        storage::upload_store& s;
        ulid id;
        ~release_guard() { s.release(id); }
    } guard{a.uploads, r.id};
    auto fresh = a.uploads.get(r.id);
    if (!fresh) co_return fresh.error();
    r = std::move(*fresh);
    if (!complete(r) || r.asset_id) co_return ok();
    auto f = co_await finish_upload(a, req, r);
    if (!f && !keeps_upload(f.error())) (void)a.uploads.remove(r.id);
    co_return f;
}

result<void> check_quota(app& a, const request& req, std::uint64_t declared) {
    std::size_t count = 0;
    std::uint64_t bytes = 0;
    auto now = a.uploads.clock().now();
    for (const auto& u : a.uploads.all()) {
        if (u.asset_id) continue;
        if (u.expires_at <= now) {
            (void)a.uploads.remove(u.id);  // sweep expired uploads as we pass
            continue;
        }
        if (u.owner != req.principal->id) continue;
        ++count;
        bytes += u.length.value_or(u.offset);
    }
    if (count >= a.limits.max_incomplete_uploads)
        return make_error(errc::too_many_requests,
                          "you have " + std::to_string(count) +
                              " unfinished uploads; finish or delete some first");
    if (bytes + declared > a.limits.max_incomplete_bytes)
        return make_error(errc::payload_too_large,
                          "your unfinished uploads would exceed " +
                              std::to_string(a.limits.max_incomplete_bytes) + " bytes");
    struct statvfs fs {};
    if (::statvfs(a.uploads.dir().c_str(), &fs) == 0 &&
        static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize < declared)
        return make_error(errc::insufficient_storage,
                          "the disk cannot take " + std::to_string(declared) + " more bytes");
    return ok();
}

// Upload-Concat: final. The parts (complete partial uploads of the caller)
// are copied in order into the final upload's file while it is hashed.
awaitable<result<upload_record>> concatenate(app& a, request& req, upload_record r,
                                             const std::vector<std::string>& part_ids) {
    std::vector<upload_record> parts;
    std::uint64_t total = 0;
    for (const auto& id : part_ids) {
        auto p = load(a, req, id);
        if (!p) co_return p.error();
        if (p->concat != upload_record::concat_kind::partial || !complete(*p))
            co_return make_error(errc::invalid_parameter,
                                 "upload " + id + " is not a complete partial upload");
        total += p->offset;
        parts.push_back(std::move(*p));
    }
    if (total > a.limits.max_upload_bytes)
        co_return make_error(errc::payload_too_large, "the concatenated upload is too large");
    r.concat = upload_record::concat_kind::final;
    r.parts = part_ids;
    r.length = total;
    auto created = a.uploads.create(r);
    if (!created) co_return created.error();
    auto copied = co_await run_blocking(a, [&]() -> result<void> {
        storage::unique_fd out(::open(a.uploads.file_of(r.id).c_str(), O_WRONLY | O_CLOEXEC));
        if (!out) return io_failure("open final upload");
        resumable_sha256 hash;
        std::vector<char> buf(1 << 20);
        for (const auto& p : parts) {
            storage::unique_fd in(::open(a.uploads.file_of(p.id).c_str(), O_RDONLY | O_CLOEXEC));
            if (!in) return io_failure("open partial upload");
            for (std::uint64_t left = p.offset; left > 0;) {
                ssize_t n = ::read(in.get(), buf.data(), std::min<std::uint64_t>(left, buf.size()));
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0)
                    return make_error(errc::internal, "a partial upload is shorter than recorded");
                for (ssize_t done = 0; done < n;) {
                    ssize_t w =
                        ::write(out.get(), buf.data() + done, static_cast<size_t>(n - done));
                    if (w < 0 && errno == EINTR) continue;
                    if (w < 0) return io_failure("write final upload");
                    done += w;
                }
                hash.update({buf.data(), static_cast<size_t>(n)});
                left -= static_cast<std::uint64_t>(n);
            }
        }
        if (::fdatasync(out.get()) != 0) return io_failure("fsync final upload");
        r.offset = total;
        r.hash_state = hash.state();
        if (auto s = a.uploads.save(r, true); !s) return s.error();
        for (const auto& p : parts) (void)a.uploads.remove(p.id);
        return ok();
    });
    if (!copied) {
        (void)a.uploads.remove(r.id);
        co_return copied.error();
    }
    co_return r;
}

awaitable<response> options(app& a, request&) {
    auto r = no_content();
    r.headers.set("Tus-Version", std::string(tus_version));
    r.headers.set("Tus-Extension", std::string(k_extensions));
    r.headers.set("Tus-Max-Size", std::to_string(a.limits.max_upload_bytes));
    r.headers.set("Tus-Checksum-Algorithm", "sha256,sha1,md5");
    co_return r;
}

awaitable<response> create(app& a, request& req) {
    if (auto v = check_version(req); !v) co_return tus_problem(v.error(), req);
    upload_record r;
    r.id = a.uploads.next_id();
    r.owner = req.principal->id;
    r.created_at = a.uploads.clock().now();
    r.expires_at =
        r.created_at +
        std::chrono::duration_cast<std::chrono::milliseconds>(a.limits.upload_expiry).count();
    if (auto m = req.headers.get("Upload-Metadata")) {
        auto meta = read_metadata(*m);
        if (!meta) co_return tus_problem(meta.error(), req);
        if (meta->asset_id) {
            auto target = load_checked(a, req, *meta->asset_id, action::version_create);
            if (!target) co_return tus_problem(target.error(), req);
            if (target->record.deleted_at)
                co_return tus_problem(make_error(errc::gone, "the asset is in the trash"), req);
        }
        r.metadata = std::string(*m);
    }

    if (auto concat = req.headers.get("Upload-Concat")) {
        auto c = parse_upload_concat(*concat);
        if (!c) co_return tus_problem(c.error(), req);
        if (!c->partial) {
            auto final_upload = co_await concatenate(a, req, r, c->part_ids);
            if (!final_upload) co_return tus_problem(final_upload.error(), req);
            if (auto f = co_await maybe_finish(a, req, *final_upload); !f)
                co_return tus_problem(f.error(), req);
            auto resp = no_content();
            resp.status = 201;
            resp.headers.set("Location", upload_path(final_upload->id));
            set_upload_headers(resp, *final_upload);
            co_return resp;
        }
        r.concat = upload_record::concat_kind::partial;
    }

    auto length = req.headers.get("Upload-Length");
    auto deferred = req.headers.get("Upload-Defer-Length");
    if (length && deferred)
        co_return tus_problem(
            make_error(errc::bad_request, "send Upload-Length or Upload-Defer-Length, not both"),
            req);
    if (deferred) {
        if (*deferred != "1")
            co_return tus_problem(make_error(errc::bad_request, "Upload-Defer-Length must be 1"),
                                  req);
    } else if (length) {
        auto n = parse_tus_u64("Upload-Length", *length);
        if (!n) co_return tus_problem(n.error(), req);
        if (*n > a.limits.max_upload_bytes)
            co_return tus_problem(
                make_error(errc::payload_too_large, "uploads may be at most " +
                                                        std::to_string(a.limits.max_upload_bytes) +
                                                        " bytes"),
                req);
        r.length = *n;
    } else {
        co_return tus_problem(
            make_error(errc::bad_request, "send Upload-Length (or Upload-Defer-Length: 1)"), req);
    }
    if (auto q = check_quota(a, req, r.length.value_or(0)); !q)
        co_return tus_problem(q.error(), req);

    auto created = a.uploads.create(r);
    if (!created) co_return tus_problem(created.error(), req);
    r = std::move(*created);

    // creation-with-upload: the body is the first chunk.
    bool has_body = req.body->declared_length().value_or(1) > 0 &&
                    req.headers.get("Content-Type").value_or("") == k_offset_type;
    if (has_body) {
        auto appended = co_await append_body(a, req, r, 0);
        if (!appended && appended.error().code != errc::bad_request &&
            appended.error().code != errc::unavailable)
            co_return tus_problem(appended.error(), req);
        if (auto f = co_await maybe_finish(a, req, r); !f) co_return tus_problem(f.error(), req);
    } else if (r.length == 0) {
        if (auto f = co_await maybe_finish(a, req, r); !f) co_return tus_problem(f.error(), req);
    }
    auto resp = no_content();
    resp.status = 201;
    resp.headers.set("Location", upload_path(r.id));
    set_upload_headers(resp, r);
    co_return resp;
}

awaitable<response> head(app& a, request& req) {
    if (auto v = check_version(req); !v) co_return tus_problem(v.error(), req);
    auto r = load(a, req, req.path_params.at(0));
    if (!r) co_return tus_problem(r.error(), req);
    if (auto f = co_await maybe_finish(a, req, *r); !f) co_return tus_problem(f.error(), req);
    auto resp = no_content();
    resp.status = 200;
    set_upload_headers(resp, *r);
    co_return resp;
}

awaitable<response> status(app& a, request& req) {
    auto r = load(a, req, req.path_params.at(0));
    if (!r) co_return tus_problem(r.error(), req);
    if (auto f = co_await maybe_finish(a, req, *r); !f) co_return tus_problem(f.error(), req);
    json body{{"id", r->id.to_string()},
              {"offset", r->offset},
              {"length", r->length ? json(*r->length) : json(nullptr)},
              {"complete", complete(*r)},
              {"expires_at", r->asset_id ? json(nullptr) : json(format_rfc3339(r->expires_at))},
              {"asset_id", r->asset_id ? json(*r->asset_id) : json(nullptr)},
              {"version", r->version ? json(*r->version) : json(nullptr)}};
    response resp;
    resp.set_body(body.dump(), "application/json");
    resp.headers.set("Cache-Control", "no-store");
    co_return resp;
}

awaitable<response> patch(app& a, request& req) {
    if (auto v = check_version(req); !v) co_return tus_problem(v.error(), req);
    if (req.headers.get("Content-Type").value_or("") != k_offset_type)
        co_return tus_problem(
            make_error(errc::unsupported_media_type,
                       "PATCH needs Content-Type: application/offset+octet-stream"),
            req);
    auto offset_header = req.headers.get("Upload-Offset");
    if (!offset_header)
        co_return tus_problem(make_error(errc::bad_request, "PATCH needs Upload-Offset"), req);
    auto offset = parse_tus_u64("Upload-Offset", *offset_header);
    if (!offset) co_return tus_problem(offset.error(), req);
    auto r = load(a, req, req.path_params.at(0));
    if (!r) co_return tus_problem(r.error(), req);
    if (r->concat == upload_record::concat_kind::final)
        co_return tus_problem(make_error(errc::forbidden, "a final upload takes no data"), req);
    if (*offset != r->offset)
        co_return tus_problem(
            make_error(errc::conflict, "Upload-Offset is " + std::to_string(*offset) +
                                           " but the upload has " + std::to_string(r->offset) +
                                           " bytes"),
            req);
    std::optional<std::uint64_t> declared;
    if (auto length = req.headers.get("Upload-Length")) {
        auto n = parse_tus_u64("Upload-Length", *length);
        if (!n) co_return tus_problem(n.error(), req);
        declared = *n;
    }
    // An empty append to a complete upload only asks to finish it (its
    // file may already be in the blob store).
    if (!complete(*r) || req.body->declared_length() != std::optional<std::uint64_t>(0)) {
        auto appended = co_await append_body(a, req, *r, *offset, declared);
        if (!appended) co_return tus_problem(appended.error(), req);
    }
    if (auto f = co_await maybe_finish(a, req, *r); !f) co_return tus_problem(f.error(), req);
    auto resp = no_content();
    resp.headers.set("Upload-Offset", std::to_string(r->offset));
    if (!r->asset_id) resp.headers.set("Upload-Expires", format_http_date(r->expires_at / 1000));
    if (r->asset_id) resp.headers.set("Kho-Asset-Id", *r->asset_id);
    co_return resp;
}

awaitable<response> terminate(app& a, request& req) {
    if (auto v = check_version(req); !v) co_return tus_problem(v.error(), req);
    auto r = load(a, req, req.path_params.at(0));
    if (!r) {
        // The same caller terminated it moments ago (a retried DELETE
        // whose first answer was lost): done, as DELETE is idempotent.
        auto id = ulid::parse(req.path_params.at(0));
        if (r.error().code == errc::not_found && id && a.uploads.terminated_by(*id, req.principal->id))
            co_return no_content();
        co_return tus_problem(r.error(), req);
    }
    if (auto c = co_await claim_upload(a, req, *r, r->offset); !c) {
        // A stale writer committed more meanwhile: terminate anyway.
        if (c.error().code != errc::conflict || !a.uploads.claim(r->id))
            co_return tus_problem(c.error(), req);
    }
    auto removed = co_await run_blocking(a, [&] { return a.uploads.remove(r->id); });
    a.uploads.release(r->id);
    if (!removed) co_return tus_problem(removed.error(), req);
    a.uploads.note_terminated(r->id, req.principal->id);
    co_return no_content();
}

}  // namespace

void add_upload_routes(router& r) {
    r.add({"OPTIONS", "/api/v1/uploads", options, false});
    r.add({"POST", "/api/v1/uploads", create, true, body_kind::upload, action::asset_create});
    r.add({"HEAD", "/api/v1/uploads/{id}", head});
    r.add({"GET", "/api/v1/uploads/{id}", status});
    r.add({"PATCH", "/api/v1/uploads/{id}", patch, true, body_kind::upload});
    r.add({"DELETE", "/api/v1/uploads/{id}", terminate});
}

}  // namespace kho::api
