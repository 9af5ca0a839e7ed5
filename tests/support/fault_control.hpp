#pragma once
// Drives tests/faults/fault_shim.c (an LD_PRELOAD library) in a kho-server
// started by server_process: preload() adds it to the server's environment,
// set() writes the control file the shim re-reads while the server runs,
// off() removes it. In a sanitizer build the ASan runtime is preloaded
// first (it must come first in the list; its interceptors then reach the
// shim's functions, which reach libc's).

#include "tests/support/server_process.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kho::test {

struct fault_plan {
    std::vector<std::filesystem::path> paths;  // prefixes (a folder: end it with '/')
    std::string ops = "write,fsync,rename,open";
    std::string err = "mixed";  // EIO, ENOSPC or mixed
    double probability = 1.0;
    long count = -1;  // at most this many failures (-1: no limit)
    bool no_free_space = false;  // statvfs of those paths reports a full disk
};

class fault_control {
  public:
    explicit fault_control(std::filesystem::path conf) : conf_(std::move(conf)) {}

    void preload(server_options& o) const {
        std::string preload = KHO_FAULT_SHIM_PATH;
#ifdef KHO_ASAN_RUNTIME
        preload = std::string(KHO_ASAN_RUNTIME) + ":" + preload;
#endif
        o.env.emplace_back("LD_PRELOAD", preload);
        o.env.emplace_back("KHO_FAULTS_CONF", conf_.string());
    }

    void set(const fault_plan& p) {
        std::ostringstream out;
        out << "paths=";
        for (std::size_t i = 0; i < p.paths.size(); ++i) out << (i ? "," : "") << p.paths[i].string();
        out << "\nops=" << p.ops << "\nerrno=" << p.err << "\nprobability=" << p.probability
            << "\ncount=" << p.count << "\nfree=" << (p.no_free_space ? 0 : 1) << "\n";
        // A new file renamed into place: the shim never reads half of one,
        // and its modification time changes.
        auto tmp = conf_;
        tmp += ".new";
        std::ofstream(tmp) << out.str();
        std::filesystem::rename(tmp, conf_);
        settle();
    }

    void off() {
        std::error_code ec;
        std::filesystem::remove(conf_, ec);
        settle();
    }

    // "kho-fault: <call> <path> -> <errno>" lines in a server log.
    static std::size_t injected(const std::string& log, const std::string& call = "") {
        std::size_t n = 0;
        std::istringstream in(log);
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("kho-fault: " + call, 0) == 0) ++n;
        return n;
    }

  private:
    // The shim looks at the file at most every 20 ms.
    static void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(60)); }

    std::filesystem::path conf_;
};

}  // namespace kho::test
