#include "server/blob_store_setup.hpp"

#include "storage/migrating_blob_store.hpp"
#include "storage/s3_blob_store.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace kho::server {
namespace {

std::string trim(std::string s) {
    auto b = s.find_first_not_of(" \t\r\n\"'");
    auto e = s.find_last_not_of(" \t\r\n\"'");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// KEY=VALUE lines; the names of kho, of the AWS CLI and of s3.env files are
// all accepted.
result<void> read_credentials(const std::filesystem::path& file, storage::s3_config& c) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0)
        return make_error(errc::invalid_parameter, "cannot read " + file.string());
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return make_error(errc::invalid_parameter,
                          file.string() + " is readable by others: chmod 600 it (it holds the S3 secret key)");
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq == std::string::npos || line.starts_with('#')) continue;
        auto key = trim(line.substr(0, eq));
        if (key.starts_with("export ")) key = trim(key.substr(7));
        auto value = trim(line.substr(eq + 1));
        if (key == "access_key" || key == "S3_ACCESS_KEY" || key == "AWS_ACCESS_KEY_ID" ||
            key == "aws_access_key_id")
            c.access_key = value;
        else if (key == "secret_key" || key == "S3_SECRET_KEY" || key == "AWS_SECRET_ACCESS_KEY" ||
                 key == "aws_secret_access_key")
            c.secret_key = value;
    }
    if (c.access_key.empty() || c.secret_key.empty())
        return make_error(errc::invalid_parameter,
                          file.string() + " must hold access_key= and secret_key= lines");
    return ok();
}

}  // namespace

result<storage::s3_config> s3_settings(const server_config& cfg) {
    storage::s3_config c;
    c.endpoint = cfg.s3_endpoint;
    while (!c.endpoint.empty() && c.endpoint.back() == '/') c.endpoint.pop_back();
    c.region = cfg.s3_region;
    c.bucket = cfg.s3_bucket;
    c.path_style = cfg.s3_addressing == "path";
    c.part_size = cfg.s3_part_size;
    c.max_connections = cfg.s3_max_connections;
    if (cfg.s3_credentials_file) {
        if (auto r = read_credentials(*cfg.s3_credentials_file, c); !r) return r.error();
    } else {
        if (const char* a = std::getenv("KHO_S3_ACCESS_KEY")) c.access_key = a;
        if (const char* s = std::getenv("KHO_S3_SECRET_KEY")) c.secret_key = s;
    }
    if (auto v = storage::validate(c); !v) return v.error();
    return c;
}

result<std::unique_ptr<storage::blob_store>> open_blob_store(const server_config& cfg) {
    auto local = storage::local_blob_store::open(cfg.data_dir);
    if (!local) return local.error();
    if (cfg.blob_store == "local") return std::unique_ptr<storage::blob_store>(std::move(*local));
    auto settings = s3_settings(cfg);
    if (!settings) return settings.error();
    auto s3 = storage::s3_blob_store::open(std::move(*settings), cfg.data_dir);
    if (!s3) return s3.error();
    return std::unique_ptr<storage::blob_store>(
        std::make_unique<storage::migrating_blob_store>(std::move(*s3), std::move(*local)));
}

}  // namespace kho::server
